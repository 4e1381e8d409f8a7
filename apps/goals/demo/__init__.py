"""Demo data for `seed_demo_goals`: one module per part (goals, checkins, challenges,
motivation), each with `seed(*, members, today)`; the command runs them in that order."""
