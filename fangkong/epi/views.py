"""Pages of the epi app."""
