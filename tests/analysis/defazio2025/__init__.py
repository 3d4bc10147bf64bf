"""A package so that its test_figure_<N>.py can share basenames with other papers' (pytest
names an __init__-less test module by its basename alone)."""
