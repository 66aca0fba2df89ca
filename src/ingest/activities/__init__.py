"""Stage 5b, activities: what each story reports happened, for the timeline and the dossier.

Takes the stories and their articles' tags (rows written by `evidence.stories` and the tagger)
and gives `activities`, `activity_facts` and `activity_stories`: for each story about the
programme its kind, initiatives, event date, venue, organisers and partners, and the figures
the articles state, every fact with the sentence proving it and its offsets.

Its own package because it is a reader of text with its own rules (day-first event dates, a
gazetteer of venues, Vietnamese number words), not part of building a citation: the evidence
stage's monitoring dossier and the `/-/timeline` page read its tables.

- `story_activity`: a story's activity from its articles (pure functions over plain rows);
- `event_dates`, `venues`, `figures`, `kinds`, `roles`: one field each, read off a sentence;
- `store`: the nightly step, incremental by a signature per story (the only part that writes).
"""
