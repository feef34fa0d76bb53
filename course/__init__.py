"""Helpers shared by the course notebooks.

One idea per module:

- ``course.mode``      quick mode (tests, grading) versus full mode (students, benchmarks)
- ``course.data``      real data sets with checksums, a cache and offline paths
- ``course.testing``   checks for test cells that say what is wrong: type, shape or values
- ``course.gradcheck`` centred-difference numeric gradients and the relative error
- ``course.plots``     the plots lessons share
- ``course.widgets``   the interactive building blocks lessons share
- ``course.frameworks`` Keras/TensorFlow for comparison cells, imported quietly
- ``course.timing``    timing code fairly on a shared machine (best of a few runs)
- ``course.nn``        the network library: layers, losses, initializers, update rules, models, ``fit``
- ``course.twolayer``  the two-layer network of lessons 04-07 as functions of a params dict (a preset of nn)
- ``course.digitreader`` segmenting handwritten digits into MNIST-like frames; a drawing pad
"""

__version__ = "0.1.0"
