import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
application = get_wsgi_application()

# The sampling terminals' POST /api/v1/testing/bindings, served without the middleware chain when it
# is the plain case (see fangkong/testing/fastpath.py); everything else goes to Django as before.
from fangkong.testing.fastpath import wrap  # noqa: E402

application = wrap(application)
