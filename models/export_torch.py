#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# export_torch.py — exports PyTorch models to ONNX with BatchNormalization kept in the graph and
# randomised BN statistics, as ONNX test-case folders with torch's outputs as the reference.
#
# Run with Debian's interpreter (python3-torch 1.13, python3-torchvision 0.14, python3-onnx 1.12):
#   /usr/bin/python3 models/export_torch.py               the small committed set into models/<name>
#   /usr/bin/python3 models/export_torch.py big           the torchvision networks into models/big/
#   /usr/bin/python3 models/export_torch.py vision        segmentation, detection, flow, transformers
#                                                         into models/vision/ (each twice: BN kept,
#                                                         and torch's default export)
#   /usr/bin/python3 models/export_torch.py families      issue 17's speed families into models/families/
#                                                         (both exports; bench/families.sh)
#   /usr/bin/python3 models/export_torch.py memory        the four of bench/memory.sh (resnet50 and
#                                                         convnext_tiny into models/big/memory/)
#   /usr/bin/python3 models/export_torch.py resnet18@11   one model at another opset (resnet18_opset11)
#   /usr/bin/python3 models/export_torch.py --list        what there is
# Same seeds, same bytes: re-running it on the same torch build and CPU rewrites identical files
# (--verify says what another CPU may change).
import argparse
import os
import sys
import tempfile
import time
import warnings
import zlib

import numpy as np
import onnx
import onnx.checker
import onnx.numpy_helper

try:
    import torch
    import torch.nn as nn
except ImportError:
    # --verify runs as a ctest: 77 is its "skipped" (torch comes with install-deps.sh --models).
    print("export_torch.py: needs PyTorch (python3-torch, python3-torchvision): "
          "bash scripts/install-deps.sh --models", file=sys.stderr)
    sys.exit(77 if "--verify" in sys.argv else 1)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verify_files  # noqa: E402  (beside this script)

DEFAULT_OPSET = 13
# The committed files were made with Debian 12's python3-torch 1.13.1+dfsg-4 and
# python3-torchvision 0.14.1-2; another build may export other graphs or draw other weights, so
# --verify runs only under these versions (and skips elsewhere).
MADE_WITH = ("1.13.0a0", "0.14.1a0")
SEED = 20240611
BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


# ---------------------------------------------------------------------------------------------
# The small models (committed under models/): reduced width, each a few KB, each built so that
# one exporter path or operator attribute the runtime must get right is in the graph.

class MlpBnAfterRelu(nn.Module):
    """Linear -> ReLU -> BatchNorm1d -> Linear: BN after the activation, so it cannot fold back
    into the Gemm before it (only forward, into the next Gemm)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 24)
        self.relu = nn.ReLU()
        self.bn = nn.BatchNorm1d(24, eps=1e-3)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        return self.fc2(self.bn(self.relu(self.fc1(x))))


class BasicBlock(nn.Module):
    """ResNet basic block: conv-bn-relu-conv-bn, residual Add (1x1 conv + BN on the shortcut when
    the shape changes), relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (x if self.down is None else self.down(x)))


class TinyResNet(nn.Module):
    """ResNet-18 in miniature: stem conv-bn-relu, maxpool, two basic blocks (identity and strided
    shortcut), global average pool, flatten, linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.block1 = BasicBlock(8, 8, 1)
        self.block2 = BasicBlock(8, 16, 2)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.pool(self.stem(x))))
        return self.fc(torch.flatten(self.gap(x), 1))


class TinyVgg(nn.Module):
    """Plain 3x3 stacks at 32x32 and 16x16 with 16-32 channels: the layer shapes onnxbn runs by
    Winograd F(2x2,3x3) (3x3 stride 1, >= 16 channels, >= 32 tiles), then a strided 3x3 (im2col)."""

    def __init__(self):
        super().__init__()

        def cbr(cin, cout, stride):
            return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
        self.features = nn.Sequential(*cbr(3, 16, 1), *cbr(16, 16, 1), nn.MaxPool2d(2),
                                      *cbr(16, 32, 1), *cbr(32, 32, 2))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.gap(self.features(x)), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand-bn-relu6, 3x3 depthwise-bn-relu6, 1x1 project-bn, and the
    residual Add when stride 1 keeps the shape. ReLU6 exports as Clip(0, 6)."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU6(),
            nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


class TinyMobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6())
        self.block1 = InvertedResidual(8, 8, 1, 3)
        self.block2 = InvertedResidual(8, 16, 2, 3)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.gap(x), 1))


class Conv1dBn(nn.Module):
    """Conv1d with bias -> BN -> ReLU -> strided, dilated, padded Conv1d without bias -> BN."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(4, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm1d(8)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv1d(8, 6, 5, stride=2, padding=2, dilation=2, bias=False)
        self.bn2 = nn.BatchNorm1d(6)

    def forward(self, x):
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


class Conv3dBn(nn.Module):
    """Conv3d -> BN -> ReLU -> grouped Conv3d with an anisotropic kernel and stride -> BN."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv3d(3, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm3d(6)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv3d(6, 4, (1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), groups=2)
        self.bn2 = nn.BatchNorm3d(4)

    def forward(self, x):
        return self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))


class ConvTransposeBn(nn.Module):
    """ConvTranspose2d (stride 2, padding, output_padding) -> BN -> ReLU -> grouped (groups=2),
    dilated ConvTranspose2d without bias -> BN. A transposed conv's weight is [Cin, Cout/g, k...],
    so BN's channel is the weight's axis 1, the case a folder most easily gets wrong."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1)
        self.bn1 = nn.BatchNorm2d(6)
        self.relu = nn.ReLU()
        self.deconv = nn.ConvTranspose2d(6, 4, 3, padding=1, dilation=2, groups=2, bias=False)
        self.bn2 = nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn2(self.deconv(self.relu(self.bn1(self.up(x)))))


def has_op(op_type, pred=lambda node, at: True):
    def check(model):
        for n in model.graph.node:
            at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == op_type and pred(n, at):
                return True
        return False
    check.what = op_type
    return check


def depthwise(n, at):
    return at.get("group", 1) > 1


def grouped(n, at):
    return at.get("group", 1) == 2


# name -> (constructor, input shape without the batch, batch sizes of the test data sets,
#          BN profile, graph checks). The batch axis is dynamic in every export.
SMALL_TOL = (1e-3, 1e-7)  # what tests/models/ runs them with: `onnxbn test`'s default rtol, atol
BIG_TOL = (1e-3, 1e-4)    # the acceptance tolerance for the torchvision networks
SMALL = {
    "mlp_bn_after_relu": (MlpBnAfterRelu, (16,), (3, 1), "strong", [has_op("Gemm")]),
    "tiny_resnet": (TinyResNet, (3, 32, 32), (3, 1), "strong",
                    [has_op("Add"), has_op("MaxPool"), has_op("GlobalAveragePool"), has_op("Flatten")]),
    "tiny_vgg": (TinyVgg, (3, 32, 32), (3, 1), "strong", [has_op("MaxPool")]),
    "tiny_mobilenet": (TinyMobileNet, (3, 32, 32), (3, 1), "strong",
                       [has_op("Clip"), has_op("Conv", depthwise), has_op("Add")]),
    "conv1d_bn": (Conv1dBn, (4, 32), (3, 1), "strong", [has_op("Conv")]),
    "conv3d_bn": (Conv3dBn, (3, 6, 10, 10), (3, 1), "strong", [has_op("Conv", grouped)]),
    "convtranspose_bn": (ConvTransposeBn, (4, 7, 7), (3, 1), "strong",
                         [has_op("ConvTranspose", grouped)]),
}
# Also committed: the Clip attribute form (opset <= 10) and BatchNormalization-9 from an old opset.
SMALL_EXTRA = ["tiny_mobilenet@9"]


# ---------------------------------------------------------------------------------------------
# The big models (made on demand into models/big/): full torchvision networks, random weights
# (weights=None: no downloads), at 1x3x224x224.

BIG_NAMES = ["resnet18", "mobilenet_v2", "squeezenet1_1", "densenet121", "shufflenet_v2_x1_0",
             "googlenet", "efficientnet_b0", "regnet_x_400mf", "mnasnet0_5"]
BIG_EXTRA = ["resnet18@7", "resnet18@9", "resnet18@11", "resnet18@15"]  # resnet18 itself is @13
# The peak-RSS benchmark (bench/memory.sh) adds two heavier networks to two of the `big` group.
# They go one folder down, models/big/memory/, out of the `big` test runs and of test_plan.c's
# 1.2x arena check (resnet50's arena is 1.27x its bound).
MEMORY_EXTRA = ["resnet50", "convnext_tiny"]
MEMORY_NAMES = MEMORY_EXTRA + ["efficientnet_b0", "densenet121"]


def torchvision_ctor(name):
    def make():
        import torchvision.models as tvm
        kwargs = {"weights": None}
        if name == "googlenet":
            # init_weights=None warns and then means True; say it. The auxiliary classifiers run
            # only in training mode, so they are not in the eval-mode graph either way.
            kwargs["init_weights"] = True
        return getattr(tvm, name)(**kwargs)
    return make


# Batch 1 is the acceptance case; batch 2 checks the dynamic batch axis (ShuffleNet reshapes with
# the batch size it reads from Shape, so its shape subgraph must be recomputed for a new batch).
BIG = {name: (torchvision_ctor(name), (3, 224, 224), (1, 2), "mild", [])
       for name in BIG_NAMES + MEMORY_EXTRA}


# ---------------------------------------------------------------------------------------------
# The vision models of issue 14 (made on demand into models/vision/): segmentation, detection,
# optical flow and vision transformers, random weights and randomised BN statistics, each
# exported twice, the two ways users do: BN kept (TrainingMode.PRESERVE, no constant folding;
# folder NAME) and torch's default export (EVAL, constant folding: BN fused by the exporter;
# folder NAME_default). Inputs are fixed-shape (the data-dependent shapes are inside the graph).

class UNet(nn.Module):
    """A two-level UNet: conv-bn-relu pairs, max-pool down, nn.Upsample(scale_factor=2,
    mode='bilinear') up (Resize with scales), skip connections by Concat."""

    def __init__(self, cin=3, cout=2, w=16):
        super().__init__()

        def cbr(a, b):
            return nn.Sequential(nn.Conv2d(a, b, 3, 1, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU(),
                                 nn.Conv2d(b, b, 3, 1, 1, bias=False), nn.BatchNorm2d(b), nn.ReLU())
        self.enc1, self.enc2, self.mid = cbr(cin, w), cbr(w, 2 * w), cbr(2 * w, 4 * w)
        self.pool = nn.MaxPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear")
        self.dec2, self.dec1 = cbr(6 * w, 2 * w), cbr(3 * w, w)
        self.head = nn.Conv2d(w, cout, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        m = self.mid(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up(m), e2], 1))
        d1 = self.dec1(torch.cat([self.up(d2), e1], 1))
        return self.head(d1)


class OutOnly(nn.Module):
    """torchvision's segmentation models return a dict; the export keeps its 'out' entry."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


class LastFlow(nn.Module):
    """RAFT returns the flow after every refinement; the last one is the answer."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, a, b):
        return self.model(a, b)[-1]


class OneImage(nn.Module):
    """A detection model takes a list of images and returns a list of dicts; export one image in,
    (boxes, scores, labels) out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        d = self.model([x])[0]
        return d["boxes"], d["scores"], d["labels"]


# Detection models whose default score threshold leaves no detection with random weights, lowered
# so that there are boxes to compare: Faster R-CNN's 91-class softmax puts every score near
# 1/91 < 0.05 (the MobileNet one; the ResNet-50 one keeps 85 boxes as it is); FCOS's
# sqrt(class prior 0.01 x centerness) is about 0.07 < 0.2. (Drawing the classification heads
# again at unit scale instead left Faster R-CNN's scores below 0.03 all the same.)
DET_KWARGS = {"fasterrcnn_mobilenet_v3_large_320_fpn": {"box_score_thresh": 0.005},
              "fcos_resnet50_fpn": {"score_thresh": 0.05}}


def vision_ctor(kind, name):
    def make():
        import torchvision.models as tvm
        import torchvision.models.detection as det
        import torchvision.models.optical_flow as flow
        import torchvision.models.segmentation as seg
        if kind == "seg":
            # aux_loss stays None: the auxiliary head is a training output, not in 'out'.
            return OutOnly(getattr(seg, name)(weights=None, weights_backbone=None))
        if kind == "det":
            # weights_backbone=None also means nn.BatchNorm2d in the backbone (FrozenBatchNorm2d,
            # which exports as Mul/Add, is used only for pretrained backbones).
            return OneImage(getattr(det, name)(weights=None, weights_backbone=None,
                                               **DET_KWARGS.get(name, {})))
        if kind == "flow":
            return LastFlow(getattr(flow, name)(weights=None))
        if kind == "unet":
            return UNet()
        if kind == "video":
            import torchvision.models.video as video
            return getattr(video, name)(weights=None)
        if name in ("googlenet", "inception_v3"):
            # init_weights=None warns and then means True; the auxiliary classifiers run only in
            # training mode, so they are not in the eval-mode graph.
            return getattr(tvm, name)(weights=None, init_weights=True)
        return getattr(tvm, name)(weights=None)
    return make


# name -> (kind, input shapes (with the batch), opset, output names)
SEG_IN = [(1, 3, 224, 224)]
DET_IN = [(3, 320, 320)]
DET_OUT = ["boxes", "scores", "labels"]
VISION = {
    "fcn_resnet50": ("seg", SEG_IN, 13, ["out"]),
    "deeplabv3_resnet50": ("seg", SEG_IN, 13, ["out"]),
    "deeplabv3_mobilenet_v3_large": ("seg", SEG_IN, 13, ["out"]),
    "lraspp_mobilenet_v3_large": ("seg", SEG_IN, 13, ["out"]),
    "unet": ("unet", [(1, 3, 64, 64)], 13, ["output"]),
    "swin_t": ("cls", [(1, 3, 224, 224)], 17, ["output"]),
    "maxvit_t": ("cls", [(1, 3, 224, 224)], 17, ["output"]),
    "raft_small": ("flow", [(1, 3, 128, 128), (1, 3, 128, 128)], 16, ["flow"]),
    "fasterrcnn_mobilenet_v3_large_320_fpn": ("det", DET_IN, 11, DET_OUT),
    "fasterrcnn_resnet50_fpn": ("det", DET_IN, 11, DET_OUT),
    "retinanet_resnet50_fpn": ("det", DET_IN, 11, DET_OUT),
    "fcos_resnet50_fpn": ("det", DET_IN, 11, DET_OUT),
    "ssd300_vgg16": ("det", DET_IN, 11, DET_OUT),
    "ssdlite320_mobilenet_v3_large": ("det", DET_IN, 11, DET_OUT),
}
VISION_DETECTION = [n for n, v in VISION.items() if v[0] == "det"]

# Issue 17's speed families (made on demand into models/families/, both exports as for vision):
# the torchvision classification models up to 200 MB of weights (wide_resnet50_2, 263 MB, is not)
# and the video models. swin_t and maxvit_t are the vision group's (models/vision/). The batch
# axis is left free (dim 'N') so that one file also serves the batch-8 and batch-32 rows.
FAMILY_CLS = ["resnet18", "resnet34", "resnet50", "resnext50_32x4d", "regnet_x_400mf",
              "regnet_x_800mf", "regnet_y_400mf", "regnet_y_800mf", "densenet121", "googlenet",
              "inception_v3", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
              "mnasnet0_5", "mnasnet1_0", "shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
              "squeezenet1_0", "squeezenet1_1", "efficientnet_b0", "efficientnet_b1",
              "efficientnet_v2_s", "convnext_tiny"]
FAMILY_VIDEO = ["r3d_18", "mc3_18", "r2plus1d_18", "s3d"]
FAMILIES = {n: ("cls", [(1, 3, 299, 299) if n == "inception_v3" else (1, 3, 224, 224)], 13, ["output"])
            for n in FAMILY_CLS}
FAMILIES.update({n: ("video", [(1, 3, 16, 224, 224) if n == "s3d" else (1, 3, 16, 112, 112)], 13,
                     ["output"]) for n in FAMILY_VIDEO})


def write_any(path, arr, name):
    """write_tensor for any dtype (detection's labels are int64)."""
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(arr), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export_vision(name, out_root, only=None, family=False):
    """Both exports of one vision model, each with torch's float32 outputs for the same seeded
    input. only: 'kept' or 'default' for one of the two."""
    table = FAMILIES if family else VISION
    if name not in table:
        sys.exit(f"export_torch.py: unknown vision model '{name}' (see --list)")
    kind, in_shapes, opset, out_names = table[name]
    dyn = {n: {0: "N"} for n in ["input"] + out_names} if table is FAMILIES else None
    t0 = time.time()
    seed = seed_of(name)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    model = vision_ctor(kind, name)()
    randomise_bn(model, "mild", gen)
    model.eval()
    if kind == "det":
        # Images are [0, 1] intensities; the model normalises them itself.
        inputs = [torch.rand(*s, generator=gen) for s in in_shapes]
    else:
        inputs = [torch.randn(*s, generator=gen) for s in in_shapes]
    in_names = ["input"] if len(inputs) == 1 else [f"image{k + 1}" for k in range(len(inputs))]
    with torch.no_grad():
        y = model(*inputs)
    ys = list(y) if isinstance(y, (tuple, list)) else [y]
    for t in ys:
        if t.is_floating_point() and not torch.isfinite(t).all():
            sys.exit(f"{name}: torch's output has non-finite values")
    n_bn = bn_modules_used(model, inputs[0]) if len(inputs) == 1 else None
    ways = {"kept": (name, dict(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)),
            "default": (name + "_default", {})}
    for way, (folder, kwargs) in ways.items():
        if only and way != only:
            continue
        out_dir = os.path.join(out_root, folder)
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, "model.onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, tuple(inputs), path, input_names=in_names,
                              output_names=out_names, opset_version=opset, export_params=True,
                              dynamic_axes=dyn, **kwargs)
        m = onnx.load(path)
        onnx.checker.check_model(m)
        n_graph = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
        # A check, not an exit as for 'big': RAFT (two inputs) is not counted, and a count that
        # differs is worth a look but does not make the export wrong.
        if way == "kept" and n_bn is not None and n_graph != n_bn:
            print(f"    note: {folder}: {n_graph} BatchNormalization nodes, the forward ran {n_bn} BN modules")
        ds = os.path.join(out_dir, "test_data_set_0")
        os.makedirs(ds, exist_ok=True)
        for f in os.listdir(ds):
            os.remove(os.path.join(ds, f))
        for k, (x, n) in enumerate(zip(inputs, in_names)):
            write_any(os.path.join(ds, f"input_{k}.pb"), x.numpy(), n)
        for k, (t, n) in enumerate(zip(ys, out_names)):
            write_any(os.path.join(ds, f"output_{k}.pb"), t.numpy(), n)
        ops = sorted({n.op_type for n in m.graph.node})
        print(f"{out_dir}: opset {opset}, {os.path.getsize(path) / 1e6:.1f} MB, BN {n_graph}, outputs "
              f"{[list(t.shape) for t in ys]}, {time.time() - t0:.1f} s\n    {' '.join(ops)}", flush=True)


# ---------------------------------------------------------------------------------------------

def seed_of(name):
    # Stable across runs and Python versions (hash() is salted); the base name, so resnet18 at
    # every opset has the same weights, inputs and reference outputs.
    return SEED + zlib.crc32(name.encode())


def randomise_bn(model, profile, gen):
    """Fresh BN is the identity (mean 0, var 1, gamma 1, beta 0): a runtime that skipped it, or a
    fold that dropped a term, would still pass. Draw every parameter away from that.
    strong (small models): the ranges of make_models.py, with at least one negative gamma per BN
      (catches a fold that takes |gamma| or the sqrt of the wrong thing).
    mild (the torchvision networks): mean ~ N(0, 0.5), var ~ U(0.5, 2), gamma ~ U(0.5, 1.5),
      beta ~ N(0, 0.2). Still far from the identity, but it keeps activations near their natural
      scale over 20-120 BN layers (the strong ranges grow resnet18's logits about 5x)."""
    with torch.no_grad():
        for m in model.modules():
            if not isinstance(m, BN_TYPES):
                continue
            n = m.num_features
            if profile == "strong":
                m.running_mean.copy_(torch.rand(n, generator=gen) * 4.0 - 2.0)
                m.running_var.copy_(torch.rand(n, generator=gen) * 3.75 + 0.25)
                sign = torch.where(torch.rand(n, generator=gen) < 0.3, -1.0, 1.0)
                sign[n // 2] = -1.0
                m.weight.copy_(sign * (torch.rand(n, generator=gen) * 1.5 + 0.5))
                m.bias.copy_(torch.rand(n, generator=gen) * 2.0 - 1.0)
            else:
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(n, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.2)


def bn_modules_used(model, x):
    """How many BN modules the eval-mode forward actually runs (GoogLeNet's auxiliary heads hold
    BN modules that only training mode reaches)."""
    used = []
    hooks = [m.register_forward_hook(lambda m, i, o: used.append(m))
             for m in model.modules() if isinstance(m, BN_TYPES)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return len(used)


def check_graph(name, path, n_bn, checks, strong):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    init = {t.name: t for t in m.graph.initializer}
    bns = [n for n in m.graph.node if n.op_type == "BatchNormalization"]
    if len(bns) != n_bn:
        sys.exit(f"{name}: the graph has {len(bns)} BatchNormalization nodes, the forward ran {n_bn} "
                 "BN modules (was BN fused into Conv by the exporter?)")
    for n in bns:
        at = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
        if at.get("training_mode", 0) != 0 or len(n.output) != 1:
            sys.exit(f"{name}: node '{n.name}' is a training-mode BatchNormalization")
        # The exporter replaces an initializer equal to an earlier one with an Identity of it; with
        # random parameters that cannot happen, and a converter is better off with plain constants.
        missing = [i for i in n.input[1:5] if i not in init]
        if missing:
            sys.exit(f"{name}: node '{n.name}' reads {missing}, which are not initializers")
        if strong:
            scale, bias, mean, var = (onnx.numpy_helper.to_array(init[i]) for i in n.input[1:5])
            if (np.abs(mean).max() < 0.5 or np.abs(var - 1).max() < 0.5 or np.abs(scale - 1).max() < 0.5
                    or np.abs(bias).max() < 0.5 or (scale >= 0).all()):
                sys.exit(f"{name}: node '{n.name}': BN parameters too close to the identity")
    for c in checks:
        if not c(m):
            sys.exit(f"{name}: expected a {c.what} node of the tested kind in the graph")
    counts = {}
    for n in m.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return counts


def write_tensor(path, arr, name):
    t = onnx.numpy_helper.from_array(np.ascontiguousarray(arr, dtype=np.float32), name)
    with open(path, "wb") as f:
        f.write(t.SerializeToString())


def export(spec, out_root, opset_override=None):
    base, _, at = spec.partition("@")
    table = SMALL if base in SMALL else BIG if base in BIG else None
    if table is None:
        sys.exit(f"export_torch.py: unknown model '{base}' (see --list)")
    opset = int(at) if at else (opset_override or DEFAULT_OPSET)
    folder_name = base if opset == DEFAULT_OPSET else f"{base}_opset{opset}"
    ctor, in_shape, batches, profile, checks = table[base]
    rtol, atol = SMALL_TOL if table is SMALL else BIG_TOL
    out_dir = os.path.join(out_root, folder_name)

    t0 = time.time()
    seed = seed_of(base)
    torch.manual_seed(seed)  # the constructors' own initialisation
    gen = torch.Generator().manual_seed(seed + 1)
    model = ctor()
    randomise_bn(model, profile, gen)
    model.eval()
    # Inputs N(0, 1), drawn before export so they do not depend on what export consumes.
    example = torch.randn(batches[0], *in_shape, generator=gen)
    inputs = [torch.randn(b, *in_shape, generator=gen) for b in batches]
    n_bn = bn_modules_used(model, example)

    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):  # a rerun with fewer data sets must not leave stale ones
        if old.startswith("test_data_set_"):
            for f in os.listdir(os.path.join(out_dir, old)):
                os.remove(os.path.join(out_dir, old, f))
            os.rmdir(os.path.join(out_dir, old))
    path = os.path.join(out_dir, "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on dynamic_axes and the like
        torch.onnx.export(
            model, (example,), path,
            input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
            opset_version=opset,
            # EVAL would fuse Conv+BN in the exporter's eval peephole pass; PRESERVE on an
            # eval() model skips that pass and emits inference BatchNormalization nodes
            # (one output; training_mode=0 from opset 14).
            training=torch.onnx.TrainingMode.PRESERVE,
            do_constant_folding=False,
            export_params=True)
    counts = check_graph(folder_name, path, n_bn, checks, profile == "strong")

    worst = 0.0
    for k, x in enumerate(inputs):
        ds = os.path.join(out_dir, f"test_data_set_{k}")
        os.makedirs(ds, exist_ok=True)
        with torch.no_grad():
            y = model(x)
            # How far torch's float32 answer is from its float64 one, in units of the tolerance
            # the tests use: how much of the error budget the reference itself spends.
            y64 = model.double()(x.double())
            model.float()
        if not torch.isfinite(y).all():
            sys.exit(f"{folder_name}: torch's output has non-finite values")
        ratio = ((y.double() - y64).abs() / (atol + rtol * y64.abs())).max().item()
        worst = max(worst, ratio)
        if k == 0:
            y0 = y
        write_tensor(os.path.join(ds, "input_0.pb"), x.numpy(), "input")
        write_tensor(os.path.join(ds, "output_0.pb"), y.numpy(), "output")

    size = os.path.getsize(path)
    ops = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    print(f"{out_dir}: opset {opset}, {size / 1e3:.0f} kB, output {list(y0.shape)} "
          f"|max| {y0.abs().max().item():.3g}, fp32-vs-fp64 {worst:.2g} of tol, "
          f"{time.time() - t0:.1f} s\n    {ops}", flush=True)


def expand(names):
    out = []
    for n in names:
        if n == "small":
            out += list(SMALL) + SMALL_EXTRA
        elif n == "big":
            out += BIG_NAMES + BIG_EXTRA
        elif n == "memory":
            out += MEMORY_NAMES
        elif n == "vision":
            out += list(VISION)
        elif n == "families":
            # prefixed: resnet18 alone is the `big` group's (models/big/, batch fixed)
            out += ["families/" + n for n in FAMILIES] + ["swin_t", "maxvit_t"]
        else:
            out.append(n)
    return out


def verify(specs, args):
    """Re-exports into a temporary folder and compares with the folder in place: model and inputs
    byte for byte (seeded), reference outputs (torch's float32 forward on this CPU) within the ONNX
    rule; verify_files.py says what was measured."""
    import torchvision
    if (torch.__version__, torchvision.__version__) != MADE_WITH:
        print(f"export_torch.py --verify: torch {torch.__version__}, torchvision {torchvision.__version__}; "
              f"the files were made with {MADE_WITH[0]}, {MADE_WITH[1]}: the same files are not "
              "expected (skipped)")
        return 77
    cap = verify_files.aten_capability()
    print(f"export_torch.py --verify: {verify_files.describe(cap)}", flush=True)
    bad = tolerated = 0
    with tempfile.TemporaryDirectory() as tmp:
        for spec in specs:
            base = spec.partition("@")[0]
            root = args.out or (HERE if base in SMALL else os.path.join(HERE, "big"))
            export(spec, tmp, args.opset)
            for name in sorted(os.listdir(tmp)):
                for sub, _, files in os.walk(os.path.join(tmp, name)):
                    for f in sorted(files):
                        made = os.path.join(sub, f)
                        kept = os.path.join(root, os.path.relpath(made, tmp))
                        if not os.path.exists(kept):
                            print(f"MISSING {kept}")
                            bad += 1
                        else:
                            ok, how = verify_files.compare_file(made, kept, cap)
                            if not ok:
                                print(f"DIFFERS {kept}: {how}")
                                bad += 1
                            elif how != "identical":
                                print(f"ok      {kept}: {how}")
                                tolerated += 1
                # Data sets the script no longer makes would still be run by the tests.
                kept_dir = os.path.join(root, name)
                for d in sorted(os.listdir(kept_dir)) if os.path.isdir(kept_dir) else []:
                    if d.startswith("test_data_set_") and not os.path.isdir(os.path.join(tmp, name, d)):
                        print(f"EXTRA   {os.path.join(kept_dir, d)}")
                        bad += 1
                made_dir = os.path.join(tmp, name)
                for sub, dirs, files in os.walk(made_dir, topdown=False):
                    for f in files:
                        os.remove(os.path.join(sub, f))
                    os.rmdir(sub)
    print(f"{len(specs)} models re-exported, {bad} files differ" if bad else
          f"{len(specs)} models re-exported: the files in place, {tolerated} of them within tolerance")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(
        description="Exports PyTorch models to ONNX test-case folders (BatchNormalization kept, "
                    "randomised BN statistics, torch outputs as the reference).")
    ap.add_argument("models", nargs="*", default=["small"],
                    help="model names, NAME@OPSET, or the groups 'small' (default), 'big', 'memory' "
                         "(the four networks of bench/memory.sh), 'families' (issue 17's, into models/families/) "
                         "and 'vision' (issue 14's segmentation, "
                         "detection, flow and transformer exports, into models/vision/NAME and "
                         "NAME_default)")
    ap.add_argument("--opset", type=int, help=f"opset for names without @OPSET (default {DEFAULT_OPSET}); "
                    "a folder not at the default opset is named NAME_opsetN")
    ap.add_argument("--out", help="folder to write into (default: models/ for small models, "
                    "models/big/ for torchvision ones)")
    ap.add_argument("--missing-only", action="store_true",
                    help="skip models whose folder already has model.onnx and test_data_set_0")
    ap.add_argument("--list", action="store_true", help="list the models and groups, then exit")
    ap.add_argument("--verify", action="store_true",
                    help="export into a temporary folder and compare with the target folder: model "
                         "and inputs byte for byte, reference outputs within rtol 1e-3, atol 1e-7 "
                         "(torch's float32 rounds differently on other CPUs); exit 1 if not")
    args = ap.parse_args()

    if args.list:
        print("small:", " ".join(list(SMALL) + SMALL_EXTRA))
        print("big:  ", " ".join(BIG_NAMES + BIG_EXTRA))
        print("memory:", " ".join(MEMORY_NAMES))
        print("vision:", " ".join(VISION))
        print("families:", " ".join(list(FAMILIES) + ["swin_t", "maxvit_t"]),
              "(as families/NAME alone; swin_t and maxvit_t are the vision group's)")
        return
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    if args.verify:
        sys.exit(verify(expand(args.models), args))
    for spec in expand(args.models):
        family = spec.startswith("families/")
        base, _, at = spec.removeprefix("families/").partition("@")
        if base in VISION or family:
            # Fixed opsets (those the issue names), so no @OPSET; two folders per model.
            root = args.out or os.path.join(HERE, "families" if family else "vision")
            have = [os.path.exists(os.path.join(root, d, "test_data_set_0", "output_0.pb"))
                    for d in (base, base + "_default")]
            if args.missing_only and all(have):
                print(f"{os.path.join(root, base)}: exists", flush=True)
                continue
            only = None
            if args.missing_only and any(have):
                only = "default" if have[0] else "kept"
            export_vision(base, root, only, family)
            continue
        root = args.out or (HERE if base in SMALL else os.path.join(HERE, "big"))
        if base in MEMORY_EXTRA and not args.out:
            root = os.path.join(root, "memory")
        if args.missing_only:
            opset = int(at) if at else (args.opset or DEFAULT_OPSET)
            d = os.path.join(root, base if opset == DEFAULT_OPSET else f"{base}_opset{opset}")
            if os.path.exists(os.path.join(d, "model.onnx")) and os.path.exists(os.path.join(d, "test_data_set_0", "output_0.pb")):
                print(f"{d}: exists", flush=True)
                continue
        export(spec, root, args.opset)


if __name__ == "__main__":
    main()
