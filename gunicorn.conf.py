"""gunicorn's settings for this app, read by `make run` (and by any gunicorn started in this
directory): the command line of the Makefile gives the rest (workers, threads, address).

Each worker, once it has loaded the app, warms up the printed documents in a thread of its own
(hall.documents.start_warm_up: WeasyPrint, Pango, the CJK fonts and the outlines of the
documents' words), so that the first PDF it prints is as quick as the next. PDF_WARM_UP=0 turns
it off.
"""


def post_worker_init(worker):
    from hall.documents import start_warm_up
    app = getattr(worker, "wsgi", None)
    if app is not None and hasattr(app, "config"):
        start_warm_up(app)
