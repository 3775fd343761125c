from hall import create_app

app = create_app()
