"""Template symcore plugin: the Op ``double`` and the rewrite ``double(double(x)) -> x * 4``."""
