# Grants of the accounts app live in fangkong.accounts.roles.CORE_GRANTS (the foundation's table).
GRANTS: dict[str, set[str]] = {}
