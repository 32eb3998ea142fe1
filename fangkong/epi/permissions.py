"""Who may do what in the epi app (scoped to the subtree of the granting assignment)."""

from fangkong.accounts.roles import Role

R = Role
GRANTS = {
    # Cases and their investigations (places, times, free text): never grid workers.
    "epi.view": {R.HQ, R.EPI},
    # Register cases, investigation entries, contacts; decide suggestions; request manual statuses.
    "epi.manage": {R.EPI},
    # Approve a manual status requested by another user (four eyes).
    "epi.approve": {R.EPI},
    # Statuses and contact records of people in scope (no investigation details).
    "epi.status_view": {R.HQ, R.EPI, R.STREET_ADMIN, R.COMMUNITY_ADMIN, R.GRID_WORKER, R.INSPECTOR},
    # Upload assist-investigation (协查) lists, see every item, download the return file.
    "epi.assist": {R.HQ, R.EPI},
    # Record the outcome of an assist item of a household in one's grid.
    "epi.assist_outcome": {R.GRID_WORKER, R.COMMUNITY_ADMIN, R.HQ, R.EPI},
    # Propose a county override of a rule-set value; approve one proposed by another user.
    "epi.ruleset": {R.HQ, R.EPI},
    "epi.ruleset_approve": {R.HQ, R.EPI},
}
