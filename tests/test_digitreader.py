"""course.digitreader: segmentation, MNIST normalization, page synthesis, photos and the sketch pad."""

import builtins
import datetime
import warnings

import numpy as np
import pytest
from scipy import ndimage

from course.digitreader import (SketchPad, crop_component, drawing_panel, example_drawing, make_page,
                                photo_to_ink, plot_page_reading, resize_image, segment_digits, to_mnist_frame)


def mnist_subset():
    from course.data import load_mnist_subset
    return load_mnist_subset()


def test_resize_keeps_shape_and_a_block_of_ones():
    """Does resize_image give exactly the requested shape, and keep a constant image constant?"""
    for shape in [(20, 10), (7, 31), (1, 1), (100, 3)]:
        out = resize_image(np.ones((40, 20)), shape)
        assert out.shape == shape
        np.testing.assert_allclose(out, 1.0)
    with pytest.raises(ValueError):
        resize_image(np.ones((4, 4)), (0, 3))


def test_segment_digits_boxes_sorted_and_filtered():
    """Are blobs 8-connected, small ones dropped, and boxes sorted left to right?"""
    image = np.zeros((30, 60))
    image[8:25, 3:6] = 1.0
    image[22:25, 3:12] = 1.0
    image[5:15, 40:48] = 0.9
    image[10:14, 20:24] = 0.8
    image[14:18, 24:28] = 0.8
    image[27:29, 55] = 1.0
    image[27, 56] = 1.0
    assert segment_digits(image, 0.3, 5) == [(8, 25, 3, 12), (10, 18, 20, 28), (5, 15, 40, 48)]
    assert segment_digits(image, 0.3, 3)[-1] == (27, 29, 55, 57)
    assert segment_digits(np.zeros((5, 5))) == []


def test_to_mnist_frame_size_centre_and_empty():
    """Is the longer side 20 pixels, the centre of mass at (14, 14), the maximum 1, and an empty crop zeros?"""
    frame = to_mnist_frame(np.pad(np.ones((40, 20)), 3))
    rows = np.flatnonzero(frame.max(axis=1) > 0.5)
    cols = np.flatnonzero(frame.max(axis=0) > 0.5)
    assert (len(rows), len(cols)) == (20, 10)
    assert np.all(np.abs(np.array(ndimage.center_of_mass(frame)) - 14) <= 0.5)
    assert frame.max() == pytest.approx(1.0)
    np.testing.assert_array_equal(to_mnist_frame(np.zeros((3, 4))), np.zeros((28, 28)))


def test_to_mnist_frame_gives_mnist_digits_back():
    """Does normalizing an MNIST digit return (almost) the same digit: do we follow MNIST's convention?"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        images = mnist_subset().X_test[:100]
    reframed = np.array([to_mnist_frame(x) for x in images])
    assert np.abs(reframed - images).mean() < 1e-3


def test_make_page_boxes_are_found_by_segmentation():
    """On a synthetic page, does segmentation find the pasted digits at their recorded boxes?"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        images = mnist_subset().X_test
    page, boxes = make_page(images[:5], np.random.default_rng(100))
    assert page.min() >= 0 and page.max() <= 1
    found = segment_digits(page, 0.3, 30)
    assert len(found) == len(boxes)
    for (t, b, l, r), (t2, b2, l2, r2) in zip(sorted(boxes, key=lambda x: x[2]), found):
        assert abs(t - t2) <= 2 and abs(b - b2) <= 2 and abs(l - l2) <= 2 and abs(r - r2) <= 2
    crop = crop_component(page, found[0])
    assert crop.shape == (found[0][1] - found[0][0], found[0][3] - found[0][2])


def test_photo_to_ink_handles_both_polarities_and_colour():
    """Does a dark-on-light RGB photo and a light-on-dark drawing both become ink near 1 on 0?"""
    ink = np.zeros((120, 200))
    ink[30:90, 40:50] = 1.0
    paper = (255 * (0.9 - 0.7 * ink)).astype(np.uint8)
    photo = np.stack([paper] * 3, axis=-1)
    for image in (photo, ink):
        out = photo_to_ink(image)
        assert out.shape == ink.shape
        assert out[60, 45] > 0.9 and out[10, 10] < 0.05
    assert max(photo_to_ink(np.zeros((1000, 3000))).shape) == 600


def test_sketch_pad_rasterizes_strokes_without_a_browser():
    """Does a stroke drawn from code land in the pad's image, and clear/set_image work?"""
    pad = SketchPad(width=100, height=60, pen_width=6)
    pad.stroke(10, 30, 90, 30)
    assert pad.image[30, 50] == pytest.approx(1.0)
    assert pad.image[10, 50] == 0.0
    assert segment_digits(pad.image) == [(27, 33, 7, 93)]
    pad.clear()
    assert not pad.image.any()
    pad.set_image(np.full((60, 100), 0.5))
    assert pad.image.mean() == pytest.approx(0.5)
    with pytest.raises(ValueError):
        pad.set_image(np.zeros((3, 3)))


def test_sketch_pad_works_without_ipycanvas(monkeypatch):
    """Without ipycanvas installed, is the pad still usable from code (canvas None)?"""
    real_import = builtins.__import__

    def no_ipycanvas(name, *args, **kwargs):
        if name.startswith("ipycanvas"):
            raise ImportError("no ipycanvas")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ipycanvas)
    calls = []
    pad = SketchPad(width=50, height=40, on_stroke_end=calls.append)
    assert pad.canvas is None
    pad._mouse_down(10, 10)
    pad._mouse_move(30, 20)
    pad._mouse_up(30, 20)
    assert calls == [pad] and pad.image.any()


def panel_controls(panel):
    """The buttons and the upload of a drawing panel, by description."""
    return {control.description: control for control in panel.children[1].children}


def png_bytes(ink):
    """A PNG of dark ink on light paper, as a phone photo of a page would be."""
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray((255 * (0.9 - 0.7 * ink)).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_drawing_panel_reads_through_the_given_function(monkeypatch, capsys):
    """Do Read, Example, Upload and the mouse read through the reader passed in, and Clear wipe the pad?"""
    import matplotlib.pyplot as plt
    shown, seen = [], []
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf().axes[0].get_title()))

    def read(image):
        seen.append(image.copy())
        boxes = segment_digits(image, 0.3, 40)
        return boxes, np.zeros((len(boxes), 28, 28)), np.full((len(boxes), 10), 0.1)

    examples = np.random.default_rng(0).random((5, 784))
    panel, pad = drawing_panel(read, examples, width=120, height=60, pen_width=6)
    controls = panel_controls(panel)
    assert sorted(controls) == ["Clear", "Example", "Read", "Upload a photo"]
    controls["Read"].click()                                    # an empty pad: a message, no figure
    assert "No digit found" in capsys.readouterr().out and shown == []
    pad._mouse_down(20, 10)
    pad._mouse_move(20, 50)
    pad._mouse_up(20, 50)                                       # releasing the button reads the drawing
    controls["Read"].click()
    assert shown == ["your drawing: read 0"] * 2 and seen[-1].any()
    controls["Clear"].click()
    assert not pad.image.any()
    controls["Example"].click()
    assert pad.image.any() and shown[-1].startswith("example: read")
    np.testing.assert_array_equal(pad.image, example_drawing(examples, (60, 120), np.random.default_rng(1)))
    ink = np.zeros((80, 100))
    ink[20:60, 48:52] = 1.0                                   # thinner than the background window
    stamp = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    controls["Upload a photo"].value = ({"name": "one.png", "type": "image/png", "size": 1, "last_modified": stamp,
                                         "content": memoryview(png_bytes(ink))},)
    assert shown[-1] == "one.png: read 0" and seen[-1].shape == (80, 100)
    controls["Upload a photo"].value = ({"name": "bad.png", "type": "image/png", "size": 1, "last_modified": stamp,
                                         "content": memoryview(b"not an image")},)
    assert "could not be read" in capsys.readouterr().out
    plt.close("all")


def test_drawing_panel_reports_missing_pieces_instead_of_raising(monkeypatch, capsys):
    """Does a reader that is not written yet, or needs a cell not run yet, give a message rather than an error?"""
    import matplotlib.pyplot as plt
    monkeypatch.setattr(plt, "show", lambda: None)

    def not_written(image):
        raise NotImplementedError()

    def not_run(image):
        return undefined_network(image)  # noqa: F821 - the cell that defines it has not been run

    for read, message in [(not_written, "you have not written yet"), (not_run, "Run the cells above first")]:
        panel, pad = drawing_panel(read)
        controls = panel_controls(panel)
        assert "Example" not in controls                        # no example digits given: no button
        pad.stroke(10, 10, 50, 50)
        controls["Read"].click()
        assert message in capsys.readouterr().out


def test_plot_page_reading_marks_right_and_wrong_digits():
    """Does the page figure say how many digits were read right, and refuse a page that is all noise?"""
    import matplotlib.pyplot as plt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        subset = mnist_subset()
    page, _ = make_page(subset.X_test[:3].reshape(-1, 28, 28), np.random.default_rng(0))
    written = subset.y_test[:3]

    def read(image):
        boxes = segment_digits(image, 0.3, 30)
        probs = np.eye(10)[written] if len(boxes) == 3 else np.zeros((len(boxes), 10))
        return boxes, np.zeros((len(boxes), 28, 28)), probs

    fig = plt.figure()
    plot_page_reading(fig, page, written, read, lambda image: segment_digits(image, 0.3, 30))
    assert fig.axes[0].get_title().endswith("(3/3 right)") and len(fig.axes) == 4
    noisy = plt.figure()
    plot_page_reading(noisy, page, written, read, lambda image: [(0, 1, 0, 1)] * 31)
    assert noisy.axes[0].get_title().startswith("31 blobs") and len(noisy.axes) == 1
    plt.close("all")
