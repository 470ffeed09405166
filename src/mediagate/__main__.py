from mediagate.cli.main import main

main()
