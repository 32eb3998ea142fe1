from fangkong.accounts.roles import Role

R = Role
GRANTS = {
    # Browse the ledger (masked values).
    "residents.view": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.EPI, R.INSPECTOR},
    # Reveal full ID numbers and phones on a detail page (each reveal is logged).
    "residents.view_full": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.EPI},
    "residents.edit": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER},
    "residents.import": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN},
    "residents.export": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.EPI, R.INSPECTOR},
    # Register a walk-in with the minimum data (sampling tables); no browsing.
    "residents.register_walk_in": {R.HQ, R.SAMPLER, R.COMMUNITY_ADMIN, R.GRID_WORKER},
    "residents.campaign": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN},
    "residents.visit": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.CADRE, R.VOLUNTEER},
}
