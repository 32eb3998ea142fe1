#!/usr/bin/env python3
"""Copy the pinned npm packages (package-lock.json) into fangkong/static/vendor/.

Run after `npm ci`. The result is generated and git-ignored: nothing third-party is committed and
nothing is fetched at run time (air-gapped intranets have no CDN).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "fangkong" / "static" / "vendor"

COPIES = [
    ("@tabler/core/dist/css/tabler.min.css", "tabler/css/tabler.min.css"),
    ("@tabler/core/dist/js/tabler.min.js", "tabler/js/tabler.min.js"),
    ("@tabler/icons-webfont/dist/tabler-icons.min.css", "tabler-icons/tabler-icons.min.css"),
    ("@tabler/icons-webfont/dist/fonts/tabler-icons.woff2", "tabler-icons/fonts/tabler-icons.woff2"),
    ("@tabler/icons-webfont/dist/fonts/tabler-icons.woff", "tabler-icons/fonts/tabler-icons.woff"),
    ("@tabler/icons-webfont/dist/fonts/tabler-icons.ttf", "tabler-icons/fonts/tabler-icons.ttf"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("echarts/dist/echarts.min.js", "echarts/echarts.min.js"),
]


def main() -> int:
    shutil.rmtree(VENDOR, ignore_errors=True)
    if not NODE.is_dir():
        print("node_modules is missing: run `npm ci` first", file=sys.stderr)
        return 1
    for src, dst in COPIES:
        source, target = NODE / src, VENDOR / dst
        if not source.exists():
            print(f"missing {source}", file=sys.stderr)
            return 1
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)
    # Drop source-map references: the maps are not shipped and browsers would ask for them.
    for css in [*VENDOR.rglob("*.css"), *VENDOR.rglob("*.js")]:
        text = css.read_text(encoding="utf-8")
        css.write_text("\n".join(line for line in text.splitlines() if "sourceMappingURL" not in line), encoding="utf-8")
    print(f"static assets copied to {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
