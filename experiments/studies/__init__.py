"""The studies: runs of the recipes against their papers, with tables and curves."""
