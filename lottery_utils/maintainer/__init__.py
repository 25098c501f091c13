"""Maintainer tools, apart from what a student imports: building the bundled results (`bundle`); from them,
docs/results (`docs`, with `selection`: which networks it shows), the teacher's guide's timings (`times`) and the
slide demo page (`demo`). The command line runs them: `python -m lottery_utils bundle` / `report` / `demo`."""
