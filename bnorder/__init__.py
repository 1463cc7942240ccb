"""bnorder: does the order of BatchNorm and the activation in a block matter, and why?"""

__version__ = "0.1.0"
