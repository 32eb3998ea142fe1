"""Who may do what with testing rounds (核酸检测)."""

from fangkong.accounts.roles import Role

R = Role
GRANTS = {
    # Coverage, untested lists, recall lists, exports of them (grid workers: their grid only, by scope).
    "testing.view": {R.HQ, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.EPI, R.INSPECTOR},
    # Open and close rounds, sampling sites and tables.
    "testing.manage": {R.HQ, R.STREET_ADMIN},
    # Bind people to tubes at the tables of sites in the sampler's area; never browse the ledger.
    "testing.sample": {R.SAMPLER},
    # Tubes, boxes and results only.
    "testing.lab": {R.LAB, R.HQ},
}
