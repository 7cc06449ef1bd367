"""Plans in the database: the planning inputs, drafts, revisions, the plan document, replans."""
