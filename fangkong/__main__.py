from fangkong.cli import main

main()
