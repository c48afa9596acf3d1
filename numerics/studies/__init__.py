"""Studies: figures and tables built from many solves of one model family, one family per module.

``raf_erm``: Rules-and-Facts ERM learners against the Bayes-optimal benchmark (trade-off
frontier, large-alpha rates, (alpha, eps) phase diagram); ``memgen study`` is its command line.
"""
