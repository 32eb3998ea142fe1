from fangkong.accounts.roles import Role

R = Role
GRANTS = {
    # See risk areas, their members, timeline, people (masked) and the notices.
    "risk_areas.view": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.EPI, R.INSPECTOR},
    # Designate areas, edit members and measures, propose adjustments (draft notices).
    "risk_areas.manage": {R.HQ, R.EPI},
    # Submit a notice for publication (the requester).
    "risk_areas.publish": {R.HQ},
    # Approve (the second HQ user): allocates the number and publishes.
    "risk_areas.approve": {R.HQ},
}
