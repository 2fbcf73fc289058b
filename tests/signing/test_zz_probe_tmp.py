def test_probe():
    import sys
    print("NAME", __name__, sys.modules.get("signing"))
