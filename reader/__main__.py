from reader.cli.commands import main

main()
