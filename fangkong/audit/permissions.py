# audit.view is in fangkong.accounts.roles.CORE_GRANTS.
GRANTS: dict[str, set[str]] = {}
