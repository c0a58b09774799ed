"""`karpathy-lint render`: the comments as a learner reads them, a static literate-programming site.

page.py builds each page from the linter's SourceModel (no second parser),
highlight.py and prose.py turn code and comments into HTML, site.py writes the
pages with the templates/ and static/ package data. Needs the `render` extra
(pygments, markdown-it-py, jinja2). DOM contract: docs/render.md.
"""
