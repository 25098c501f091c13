"""Maintainer tools, apart from what a student imports: building the bundled results (`bundle`) and generating
docs/results from them (`docs`). The command line runs them: `python -m lottery_utils bundle` / `report`."""
