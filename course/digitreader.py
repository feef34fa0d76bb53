"""Reading handwritten digits off a page: segment, normalize like MNIST, classify, draw (lesson 08).

Lesson 08 has students write :func:`segment_digits` and :func:`to_mnist_frame`; this module is the
reference, plus the tools around them that are not the point of the lesson:

- :func:`resize_image`: anti-aliased resizing with SciPy (no OpenCV, no scikit-image);
- :func:`make_page`: a page of real handwritten digits (e.g. from the MNIST test split), pasted at
  different sizes, angles and heights, with paper noise and specks of dirt;
- :func:`photo_to_ink`: a photo of dark ink on light paper (or a white-on-black drawing) turned into
  an ink image like MNIST's: 0 = background, 1 = ink;
- :func:`draw_reading`: boxes and predicted labels drawn back on the image;
- :class:`SketchPad`: a drawing surface for the mouse (an ``ipycanvas`` Canvas when that package is
  installed) whose strokes are also rasterized in NumPy, so the drawing can be read without a browser;
- the lesson's panels, given the functions that do the reading: :func:`drawing_panel` (the pad with
  Read, Clear, Example and Upload), :func:`plot_reading` and :func:`plot_page_reading` (the figures),
  :func:`example_drawing` (MNIST digits put on the pad).

Images are 2-D float arrays of ink intensity in [0, 1], rows first: ``image[row, col]``. A box is a
tuple ``(top, bottom, left, right)`` of ints with ``bottom`` and ``right`` excluded, so that
``image[top:bottom, left:right]`` is the crop.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

MNIST_SIZE = 28        # side of an MNIST frame
MNIST_BOX = 20         # MNIST scaled each digit so that its longer side is 20 pixels ...
MNIST_CENTRE = 14.0    # ... and put its centre of mass at pixel (14, 14) of the 28 x 28 frame


def resize_image(image, shape):
    """Resize a 2-D image to ``shape`` with linear interpolation, smoothing first when shrinking.

    Shrinking without smoothing skips pixels (thin strokes break up: aliasing); a Gaussian of width
    ``(1 / factor - 1) / 2`` per axis averages the pixels that fall into one output pixel.

    Parameters
    ----------
    image : (H, W) float array
    shape : (h, w) positive ints, the output size

    Returns
    -------
    resized : (h, w) float64 array, non-negative when the input is
    """
    image = np.asarray(image, dtype=np.float64)
    h, w = int(shape[0]), int(shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"resize_image: the output shape must be positive, got {shape}")
    factors = (h / image.shape[0], w / image.shape[1])
    sigma = [max(0.0, (1.0 / f - 1.0) / 2.0) for f in factors]
    if any(s > 0 for s in sigma):
        image = ndimage.gaussian_filter(image, sigma, mode="nearest")
    out = ndimage.zoom(image, factors, order=1, mode="nearest", grid_mode=True)
    if out.shape != (h, w):   # zoom rounds the output size; never off by more than one pixel
        out = np.pad(out, [(0, max(0, h - out.shape[0])), (0, max(0, w - out.shape[1]))], mode="edge")
        out = out[:h, :w]
    return out


def segment_digits(image, threshold=0.3, min_pixels=10):
    """Boxes around the connected blobs of ink in ``image``, sorted left to right.

    Pixels brighter than ``threshold`` are ink; two ink pixels belong to the same blob when they touch,
    also diagonally (8-connectivity). Blobs of fewer than ``min_pixels`` ink pixels (specks of dirt,
    noise) are dropped.

    Parameters
    ----------
    image : (H, W) ink intensities (0 = background)
    threshold : intensity above which a pixel is ink
    min_pixels : smallest blob kept, in ink pixels

    Returns
    -------
    boxes : list of (top, bottom, left, right) int tuples, bottom and right excluded, sorted by
        ``left`` (then ``top``); empty when there is no ink
    """
    ink = np.asarray(image) > threshold
    labels, count = ndimage.label(ink, structure=np.ones((3, 3), dtype=bool))
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    boxes = [(int(rows.start), int(rows.stop), int(cols.start), int(cols.stop))
             for k, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1)
             if sizes[k] >= min_pixels]
    return sorted(boxes, key=lambda box: (box[2], box[0]))


def to_mnist_frame(crop):
    """Normalize one digit the way MNIST was made: longer side 20 pixels, centre of mass at (14, 14).

    Empty border rows and columns are trimmed, the digit is scaled (keeping its aspect ratio) so that
    its longer side is 20 pixels, its intensities are scaled so that the brightest pixel is 1, and it
    is pasted into an empty 28 x 28 frame so that its centre of mass lands on pixel (14, 14) (rounded
    to whole pixels, and never pushed out of the frame).

    Parameters
    ----------
    crop : (h, w) ink intensities, a crop around one digit (any size)

    Returns
    -------
    frame : (28, 28) float64 in [0, 1]; all zeros when the crop holds no ink
    """
    crop = np.asarray(crop, dtype=np.float64)
    frame = np.zeros((MNIST_SIZE, MNIST_SIZE))
    if crop.size == 0 or not np.any(crop > 0):
        return frame
    rows = np.flatnonzero(np.any(crop > 0, axis=1))
    cols = np.flatnonzero(np.any(crop > 0, axis=0))
    crop = np.clip(crop[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], 0, None)
    h, w = crop.shape
    scale = MNIST_BOX / max(h, w)
    new_h, new_w = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    digit = resize_image(crop, (new_h, new_w))
    digit = np.clip(digit / digit.max(), 0.0, 1.0)
    com_row, com_col = ndimage.center_of_mass(digit)
    top = int(np.clip(round(MNIST_CENTRE - com_row), 0, MNIST_SIZE - new_h))
    left = int(np.clip(round(MNIST_CENTRE - com_col), 0, MNIST_SIZE - new_w))
    frame[top:top + new_h, left:left + new_w] = digit
    return frame


def crop_component(image, box, threshold=0.3):
    """The crop of ``box``, keeping only the blob that fills it: neighbours and background noise are erased.

    A slanted digit's box can overlap its neighbour's, and paper noise fills the rest of the box;
    zeroing every pixel that does not belong to the largest blob of the box (with its faint
    anti-aliased rim, up to 2 pixels out) keeps the crop as clean as an MNIST digit.

    Parameters
    ----------
    image : (H, W) ink intensities;  box : (top, bottom, left, right);  threshold : as in segment_digits

    Returns
    -------
    crop : (bottom - top, right - left) float64
    """
    top, bottom, left, right = box
    crop = np.asarray(image[top:bottom, left:right], dtype=np.float64)
    labels, count = ndimage.label(crop > threshold, structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        return crop
    largest = 1 + int(np.argmax(np.bincount(labels.ravel())[1:]))
    keep = ndimage.binary_dilation(labels == largest, iterations=2)
    return np.where(keep, crop, 0.0)


def make_page(digits, rng, scale=(1.4, 2.6), max_angle=15.0, gap=(10, 30), noise=0.04,
              num_specks=6, margin=12):
    """A page with a row of handwritten digits, as if written by hand and photographed.

    Each 28 x 28 digit image is enlarged by a random factor, rotated by a random angle and pasted at a
    random height, left to right with random gaps; then paper noise and a few specks of dirt (too small
    to be digits) are added.

    Parameters
    ----------
    digits : (K, 28, 28) ink images in [0, 1] (e.g. MNIST test images)
    rng : numpy Generator
    scale : range of the enlargement factor
    max_angle : largest rotation, in degrees, either way
    gap : range of the horizontal gap between two digits, in pixels
    noise : standard deviation of the paper noise
    num_specks : number of specks of dirt
    margin : empty border around the row of digits

    Returns
    -------
    page : (H, W) float64 ink image in [0, 1]
    boxes : list of K (top, bottom, left, right) boxes of the pasted digits (their ink above 0.3)
    """
    pieces = []
    for digit in np.asarray(digits, dtype=np.float64):
        factor = rng.uniform(*scale)
        size = int(round(MNIST_SIZE * factor))
        piece = resize_image(digit, (size, size))
        piece = ndimage.rotate(piece, rng.uniform(-max_angle, max_angle), reshape=True, order=1)
        pieces.append(np.clip(piece, 0.0, 1.0))
    gaps = [int(rng.integers(*gap)) for _ in pieces[1:]] + [0]
    height = max(p.shape[0] for p in pieces) + 2 * margin + 20
    width = sum(p.shape[1] for p in pieces) + 2 * margin + sum(gaps)
    page = np.zeros((height, width))
    boxes, left = [], margin
    for piece, space in zip(pieces, gaps):
        top = int(rng.integers(margin, height - margin - piece.shape[0] + 1))
        region = page[top:top + piece.shape[0], left:left + piece.shape[1]]
        np.maximum(region, piece, out=region)
        ink_rows = np.flatnonzero((piece > 0.3).any(axis=1))
        ink_cols = np.flatnonzero((piece > 0.3).any(axis=0))
        boxes.append((top + int(ink_rows[0]), top + int(ink_rows[-1]) + 1,
                      left + int(ink_cols[0]), left + int(ink_cols[-1]) + 1))
        left += piece.shape[1] + space
    for _ in range(num_specks):
        r, c = int(rng.integers(2, height - 3)), int(rng.integers(2, width - 3))
        page[r:r + int(rng.integers(1, 3)), c:c + int(rng.integers(1, 3))] = rng.uniform(0.6, 1.0)
    page += noise * np.abs(rng.standard_normal(page.shape))
    return np.clip(page, 0.0, 1.0), boxes


def photo_to_ink(image, max_side=600):
    """Turn a photo or a drawing into an ink image: 0 = background, 1 = the strongest ink.

    Works for dark ink on light paper (a photo of a page) and for light strokes on a dark background
    (a drawing, MNIST): the polarity is decided by the median, which is the background when the ink
    covers less than half of the image. Uneven lighting is removed by subtracting a background
    estimate (a grey-level closing or opening, which erases strokes thinner than its window).

    Parameters
    ----------
    image : (H, W) grey levels, (H, W, 3) RGB or (H, W, 4) RGBA, uint8 or float
    max_side : larger images are shrunk so that their longer side has this many pixels

    Returns
    -------
    ink : (h, w) float64 in [0, 1]
    """
    image = np.asarray(image)
    if image.dtype == np.uint8:
        image = image / 255.0
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3:
        image = image[..., :3].mean(axis=2) if image.shape[2] >= 3 else image[..., 0]
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"photo_to_ink needs a 2-D grey or colour image, got shape {image.shape}")
    if max(image.shape) > max_side:
        factor = max_side / max(image.shape)
        image = resize_image(image, (max(1, round(image.shape[0] * factor)),
                                     max(1, round(image.shape[1] * factor))))
    window = max(3, max(image.shape) // 15)
    if np.median(image) > 0.5:   # light paper: the ink is darker than the background
        ink = ndimage.grey_closing(image, size=(window, window)) - image
    else:
        ink = image - ndimage.grey_opening(image, size=(window, window))
    ink = np.clip(ink, 0.0, None)
    top = np.percentile(ink, 99.9)
    top = ink.max() if top <= 0 else top
    return np.clip(ink / top, 0.0, 1.0) if top > 0 else ink


def draw_reading(ax, image, boxes, predictions, probabilities=None, true_labels=None,
                 class_names=None, fontsize=12):
    """Draw ``image`` (ink dark on light) with a box and the predicted label around each digit.

    Parameters
    ----------
    ax : matplotlib Axes
    image : (H, W) ink image
    boxes : list of (top, bottom, left, right)
    predictions : predicted class of each box
    probabilities : optional probability of each prediction, written next to it
    true_labels : optional true labels; boxes turn green when right and red when wrong
    class_names : optional names indexed by class
    """
    from matplotlib.patches import Rectangle

    ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
    for k, (top, bottom, left, right) in enumerate(boxes):
        if true_labels is None:
            color = "tab:blue"
        else:
            color = "tab:green" if predictions[k] == true_labels[k] else "tab:red"
        ax.add_patch(Rectangle((left - 1.5, top - 1.5), right - left + 2, bottom - top + 2, fill=False,
                               edgecolor=color, linewidth=1.8))
        name = class_names[predictions[k]] if class_names is not None else str(predictions[k])
        if probabilities is not None:
            name += f" ({probabilities[k]:.0%})"
        ax.text(left, top - 4, name, color=color, fontsize=fontsize, fontweight="bold", va="bottom")
    ax.set_xticks([])
    ax.set_yticks([])


class SketchPad:
    """A drawing surface: mouse strokes on an ``ipycanvas`` Canvas, mirrored into a NumPy image.

    The strokes are rasterized in Python as they arrive (``self.image``, white ink on black like
    MNIST), so reading the drawing needs no round trip to the browser, and the pad can be driven from
    code (:meth:`stroke`, :meth:`set_image`) in tests or when ``ipycanvas`` is not installed
    (``self.canvas`` is then None).

    Parameters
    ----------
    width, height : size in pixels
    pen_width : stroke width in pixels
    on_stroke_end : optional callable ``f(pad)`` called when the mouse button is released
    """

    def __init__(self, width=480, height=200, pen_width=16, on_stroke_end=None):
        self.width, self.height, self.pen_width = int(width), int(height), float(pen_width)
        self.image = np.zeros((self.height, self.width))
        self.on_stroke_end = on_stroke_end
        self._drawing, self._last = False, None
        self.canvas = self._make_canvas()

    def _make_canvas(self):
        try:
            from ipycanvas import Canvas
        except ImportError:
            return None
        canvas = Canvas(width=self.width, height=self.height)
        canvas.layout.border = "1px solid #888"
        canvas.on_mouse_down(self._mouse_down)
        canvas.on_mouse_move(self._mouse_move)
        canvas.on_mouse_up(self._mouse_up)
        canvas.on_mouse_out(self._mouse_out)
        self._paint_background(canvas)
        return canvas

    def _paint_background(self, canvas):
        canvas.fill_style = "black"
        canvas.fill_rect(0, 0, self.width, self.height)
        canvas.stroke_style = "white"
        canvas.fill_style = "white"
        canvas.line_width = self.pen_width
        canvas.line_cap = "round"
        canvas.line_join = "round"

    def _mouse_down(self, x, y):
        self._drawing, self._last = True, (x, y)
        self.stroke(x, y, x, y)

    def _mouse_move(self, x, y):
        if self._drawing:
            x0, y0 = self._last
            self._last = (x, y)
            self.stroke(x0, y0, x, y)

    def _mouse_up(self, x, y):
        if self._drawing:
            self._drawing = False
            if self.on_stroke_end is not None:
                self.on_stroke_end(self)

    def _mouse_out(self, x, y):
        self._mouse_up(x, y)

    def stroke(self, x0, y0, x1, y1):
        """Draw a round-capped line from (x0, y0) to (x1, y1) (x = column, y = row)."""
        r = self.pen_width / 2
        r0, r1 = int(max(0, np.floor(min(y0, y1) - r - 1))), int(min(self.height, np.ceil(max(y0, y1) + r + 2)))
        c0, c1 = int(max(0, np.floor(min(x0, x1) - r - 1))), int(min(self.width, np.ceil(max(x0, x1) + r + 2)))
        if r0 < r1 and c0 < c1:
            rows, cols = np.mgrid[r0:r1, c0:c1] + 0.5    # pixel centres
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else np.clip(((cols - x0) * dx + (rows - y0) * dy) / length2, 0, 1)
            dist = np.hypot(cols - (x0 + t * dx), rows - (y0 + t * dy))
            region = self.image[r0:r1, c0:c1]
            np.maximum(region, np.clip(r + 0.5 - dist, 0.0, 1.0), out=region)   # anti-aliased rim
        if self.canvas is not None:
            if (x0, y0) == (x1, y1):
                self.canvas.fill_circle(x0, y0, r)
            else:
                self.canvas.stroke_line(x0, y0, x1, y1)

    def clear(self):
        """Erase everything."""
        self.image[:] = 0.0
        if self.canvas is not None:
            self._paint_background(self.canvas)

    def set_image(self, image):
        """Replace the drawing by ``image``: an (height, width) ink image in [0, 1]."""
        image = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
        if image.shape != self.image.shape:
            raise ValueError(f"set_image: expected shape {self.image.shape}, got {image.shape}")
        self.image[:] = image
        if self.canvas is not None:
            grey = (255 * image).astype(np.uint8)
            self.canvas.put_image_data(np.stack([grey] * 3, axis=-1), 0, 0)


# The interactive panels of lesson 08. The notebook passes in the functions that do the reading (its
# own segment_digits, to_mnist_frame and trained network), so the panels show the student's reader.

def example_drawing(images, shape, rng):
    """Three of ``images``, enlarged and fitted into the middle of an empty ink image of ``shape``.

    Parameters
    ----------
    images : (K, 28, 28) or (K, 784) digit images in [0, 1], K >= 3 (e.g. MNIST test images)
    shape : (H, W) of the result, e.g. a SketchPad's ``image.shape``
    rng : numpy Generator: it picks the three digits, then their sizes, angles and gaps

    Returns
    -------
    drawing : (H, W) float64 in [0, 1]
    """
    chosen = rng.choice(len(images), 3, replace=False)
    strip, _ = make_page(np.asarray(images)[chosen].reshape(-1, MNIST_SIZE, MNIST_SIZE), rng, scale=(2.5, 3.0),
                         max_angle=5, gap=(20, 40), noise=0.0, num_specks=0, margin=6)
    factor = min(shape[0] / strip.shape[0], shape[1] / strip.shape[1])
    fitted = resize_image(strip, (int(strip.shape[0] * factor), int(strip.shape[1] * factor)))
    out = np.zeros(shape)
    top, left = (shape[0] - fitted.shape[0]) // 2, (shape[1] - fitted.shape[1]) // 2
    out[top:top + fitted.shape[0], left:left + fitted.shape[1]] = np.clip(fitted, 0, 1)
    return out


def plot_reading(fig, image, boxes, frames, probs, title, num_bars=4):
    """The reading of an ink image: boxes and labels on it, then the first digits' frames and probabilities.

    Parameters
    ----------
    fig : an empty matplotlib Figure (about 11 x 5.6 inches)
    image : (H, W) ink image;  boxes : K >= 1 boxes, left to right
    frames : (K, 28, 28) what the network saw;  probs : (K, C) its class probabilities
    title : what was read ("your drawing", a file name, ...)
    num_bars : how many digits get their frame and probability bars
    """
    import matplotlib.pyplot as plt

    from course.plots import bar_probabilities

    guesses = np.argmax(probs, axis=1)
    num_bars = min(len(boxes), num_bars)
    grid = fig.add_gridspec(3, 2 * num_bars, height_ratios=[2.2, 1.3, 1.6])
    ax_image = fig.add_subplot(grid[0, :])
    draw_reading(ax_image, image, boxes, guesses, probs.max(axis=1))
    ax_image.set_title(f"{title}: read {''.join(map(str, guesses))}")
    with plt.rc_context({"font.size": 7}):
        for k in range(num_bars):
            ax_frame = fig.add_subplot(grid[1, 2 * k:2 * k + 2])
            ax_frame.imshow(frames[k], cmap="gray", vmin=0, vmax=1)
            ax_frame.set_title(f"digit {k + 1}: what the network sees", fontsize=8)
            ax_frame.axis("off")
            bar_probabilities(fig.add_subplot(grid[2, 2 * k:2 * k + 2]), probs[k], highlight=int(guesses[k]))
    if len(boxes) > num_bars:
        fig.text(0.5, 0.01, f"(probabilities shown for the first {num_bars} digits)", ha="center", fontsize=8)
    fig.tight_layout()


def plot_page_reading(fig, image, written, read, segment, max_blobs=30):
    """Read a page and draw the result: the page with green (right) or red (wrong) boxes, then the frames.

    Parameters
    ----------
    fig : an empty matplotlib Figure (about 12 x 4 inches)
    image : (H, W) ink image of the page;  written : the true labels of its digits, left to right
    read : ``read(image) -> (boxes, frames, probs)``: boxes left to right, (K, 28, 28) frames, (K, C)
        class probabilities
    segment : ``segment(image) -> boxes``, counted first: a page with more than ``max_blobs`` blobs
        (the threshold is in the paper noise) is shown without being read
    """
    ax_page = fig.add_axes([0.01, 0.33, 0.98, 0.6])
    blobs = segment(image)
    if len(blobs) > max_blobs:
        ax_page.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax_page.axis("off")
        ax_page.set_title(f"{len(blobs)} blobs: the threshold is in the paper noise; raise it or raise min pixels",
                          color="tab:red")
        return
    found, found_frames, found_probs = read(image)
    guesses = np.argmax(found_probs, axis=1)
    same_count = len(found) == len(written)
    draw_reading(ax_page, image, found, guesses, found_probs.max(axis=1),
                 true_labels=written if same_count else None, fontsize=10)
    verdict = (f"{np.sum(guesses == written)}/{len(written)} right" if same_count
               else f"{len(found)} blobs for {len(written)} digits: the segmentation failed")
    ax_page.set_title(f"read: {''.join(map(str, guesses)) or '(nothing)'}   written: {''.join(map(str, written))}"
                      f"   ({verdict})", fontsize=10)
    for k, frame in enumerate(found_frames[:12]):
        ax = fig.add_axes([0.01 + k * 0.082, 0.02, 0.075, 0.26])
        ax.imshow(frame, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{guesses[k]} ({found_probs[k].max():.0%})", fontsize=8)
        ax.axis("off")


def drawing_panel(read, examples=None, width=480, height=200, pen_width=16, max_digits=12):
    """A drawing pad with Read, Clear, Example and Upload controls; each reading is drawn under the pad.

    Releasing the mouse button reads the drawing, **Read** reads it again, **Clear** wipes the pad,
    **Example** puts three of ``examples`` on it and reads them, and **Upload a photo** reads a PNG or
    JPEG of digits written on paper (through :func:`photo_to_ink`). Without ``ipycanvas`` the pad is
    replaced by a message; the buttons and the upload still work.

    Parameters
    ----------
    read : ``read(image) -> (boxes, frames, probs)`` for an (H, W) ink image (see
        :func:`plot_page_reading`). A NotImplementedError (an exercise not done yet) or a NameError (a
        cell above not run yet) is shown as a message instead of a reading.
    examples : optional (K, 28, 28) or (K, 784) digit images for the Example button (no button without)
    width, height, pen_width : size of the pad and width of the pen, in pixels
    max_digits : a reading with more blobs than this is refused (noise, not digits)

    Returns
    -------
    panel : ipywidgets VBox (pad, buttons, output), for ``course.widgets.show``
    pad : its SketchPad: ``pad.image`` is the drawing, ``pad.stroke(...)`` draws from code
    """
    import io

    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from course.widgets import NOT_IMPLEMENTED_MESSAGE

    output = widgets.Output()

    def read_and_show(image, title):
        with output:
            output.clear_output(wait=True)
            try:
                boxes, frames, probs = read(image)
            except NotImplementedError:
                print(NOT_IMPLEMENTED_MESSAGE)
                return
            except NameError as error:
                print(f"Run the cells above first: the reader needs what they define ({error}).")
                return
            if len(boxes) == 0:
                print("No digit found yet: draw one (or upload a photo of digits written on paper).")
                return
            if len(boxes) > max_digits:
                print(f"{len(boxes)} blobs found: too many to be digits. Clear the pad, or try a cleaner photo.")
                return
            fig = plt.figure(figsize=(11, 5.6))
            plot_reading(fig, image, boxes, frames, probs, title)
            plt.show()

    pad = SketchPad(width, height, pen_width, on_stroke_end=lambda p: read_and_show(p.image, "your drawing"))
    read_button = widgets.Button(description="Read", icon="eye")
    clear_button = widgets.Button(description="Clear", icon="eraser")
    example_button = widgets.Button(description="Example", icon="magic")
    upload = widgets.FileUpload(accept="image/*", multiple=False, description="Upload a photo")
    num_examples = [0]           # each click draws other digits

    def on_clear(_):
        pad.clear()
        output.clear_output()

    def on_example(_):
        num_examples[0] += 1
        pad.set_image(example_drawing(examples, pad.image.shape, np.random.default_rng(num_examples[0])))
        read_and_show(pad.image, "example")

    def on_upload(change):
        files = change["new"]
        items = list(files.values()) if isinstance(files, dict) else list(files)   # ipywidgets 7 or 8
        if not items:
            return
        from PIL import Image, UnidentifiedImageError
        try:
            photo = np.asarray(Image.open(io.BytesIO(bytes(items[-1]["content"]))).convert("L"))
        except (UnidentifiedImageError, OSError, KeyError):
            with output:
                output.clear_output()
                print("That file could not be read as an image: upload a PNG or JPEG.")
            return
        read_and_show(photo_to_ink(photo), items[-1].get("name", "your photo"))

    read_button.on_click(lambda _: read_and_show(pad.image, "your drawing"))
    clear_button.on_click(on_clear)
    example_button.on_click(on_example)
    upload.observe(on_upload, names="value")
    if pad.canvas is not None:
        drawing_area = pad.canvas
    else:
        drawing_area = widgets.HTML("<b>The drawing pad needs the <code>ipycanvas</code> package</b> "
                                    "(<code>pip install ipycanvas</code>, then reload the page). Meanwhile: "
                                    + ("<b>Example</b> reads MNIST digits, and " if examples is not None else "")
                                    + "you can upload a photo of your own.")
    buttons = [read_button, clear_button] + ([example_button] if examples is not None else []) + [upload]
    return widgets.VBox([drawing_area, widgets.HBox(buttons), output]), pad
