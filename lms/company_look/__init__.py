"""A company's own look: its logo and accent colour, set by an admin on the company's
page, shown in its people's header and on their certificates; the provider's logo
(`LMS_PROVIDER_LOGO`) for the provider's own staff.

`service.py` checks and saves (logo: PNG, JPEG or WebP by its bytes, bounded size and
dimensions, SVG refused; colour: at least 4.5:1 against white), `views.py` serves the
logos and the accent's stylesheet, `page.py` says what a page shows.
"""
