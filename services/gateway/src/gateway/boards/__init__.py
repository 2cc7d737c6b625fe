"""The boards (看板): server-rendered pages for store staff, served by the gateway under /boards.

Jinja2 templates with htmx (vendored in static/vendor, see deploy/vendor_static.sh); data from the same APIs
the apps use, asked with the logged-in user's token, so every service decides what that user may see;
live refresh of a store's boards from the services' events (live.py); labels in labels.py."""
