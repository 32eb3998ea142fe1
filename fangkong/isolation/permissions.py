"""Who may do what in the isolation app (scoped to the subtree of the granting assignment).

Isolation staff and guardians are further restricted by membership (SiteStaff, GuardianMember): see
`fangkong.isolation.selectors.episode_qs`, the one place that combines area scope and memberships.
"""

from fangkong.accounts.roles import Role

R = Role
GRANTS = {
    # Episodes, sites, work lists, capacity of the area (community staff: their community's home isolations).
    "isolation.view": {R.HQ, R.EPI, R.STREET_ADMIN, R.COMMUNITY_ADMIN},
    # Create sites, rooms, groups, staff; admit; guardian teams; hand-over.
    "isolation.manage": {R.HQ, R.EPI, R.STREET_ADMIN, R.COMMUNITY_ADMIN},
    # Work at a site one is a member of (SiteStaff): transfers, rooms, checks, calls, tests, needs.
    "isolation.site_work": {R.ISOLATION_STAFF},
    # Follow up the people one guards (GuardianMember) or, for community staff, their community's people.
    "isolation.follow_up": {R.GRID_WORKER, R.COMMUNITY_ADMIN, R.CADRE, R.VOLUNTEER, R.STREET_ADMIN},
    # Approve a release proposed by another user (four eyes).
    "isolation.release": {R.EPI, R.HQ},
}
