from mediagate.cli.main import app

app()
