/* SPDX-License-Identifier: Apache-2.0 */
/* test_nms.c — NonMaxSuppression 10/11: hand-computed rules (ties, thresholds, both box encodings,
 * boxes without area), a random case against torchvision.ops.nms, and the bad inputs' errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "mkmodel.h"

/* 2 batches, 3 classes, 24 boxes ([y1, x1, y2, x2], half of them with the diagonal flipped),
 * uniform scores; max_output_boxes_per_class 5, iou_threshold 0.3, score_threshold 0.25. nms_want
 * is torchvision 0.14's ops.nms per batch and class over the boxes scoring above 0.25 (made by a
 * numpy/torchvision script with seed 7: scores are distinct, so its order is the only one). */
static const float nms_boxes[192] = {17.944276809692383f, 12.501909255981445f, 22.2939453125f, 
13.728681564331055f, 6.610172748565674f, 16.786867141723633f, 4.504143714904785f, 
15.513713836669922f, 24.390914916992188f, 15.707659721374512f, 17.4710693359375f, 
6.003325462341309f, 22.138229370117188f, 4.959288597106934f, 16.42456817626953f, 
0.10530608892440796f, 13.456594467163086f, 24.79667091369629f, 9.358698844909668f, 
15.941388130187988f, 12.721672058105469f, 12.37326717376709f, 5.568512439727783f, 
6.060648441314697f, 8.90152645111084f, 5.097391605377197f, 14.573412895202637f, 9.29611587524414f, 
20.252559661865234f, 17.978191375732422f, 11.069947242736816f, 10.090965270996094f, 
25.254013061523438f, 22.26956558227539f, 15.853238105773926f, 19.910005569458008f, 
19.779203414916992f, 12.443584442138672f, 27.555999755859375f, 13.490194320678711f, 
3.204240560531616f, 4.306173801422119f, 5.435116767883301f, 12.600915908813477f, 
0.8788401484489441f, 12.250792503356934f, 9.216147422790527f, 17.020925521850586f, 
16.953933715820312f, 1.8420462608337402f, 10.297776222229004f, 0.7136055827140808f, 
23.96038818359375f, 17.461334228515625f, 18.343355178833008f, 9.32412052154541f, 
13.320164680480957f, 20.117170333862305f, 10.282353401184082f, 12.584525108337402f, 
9.218441009521484f, 12.724159240722656f, 4.950298309326172f, 9.937468528747559f, 
7.9625959396362305f, 2.8505349159240723f, 3.8480429649353027f, 0.235880509018898f, 
4.012134552001953f, 13.840641975402832f, 10.172128677368164f, 23.37375831604004f, 
3.518406391143799f, 11.451338768005371f, 0.07468484342098236f, 7.390726089477539f, 
8.08952522277832f, 26.169309616088867f, 3.089221715927124f, 16.600954055786133f, 
17.606643676757812f, 5.351985931396484f, 23.246347427368164f, 15.175539016723633f, 
26.011869430541992f, 15.886310577392578f, 16.943004608154297f, 10.195816040039062f, 
21.061294555664062f, 20.479249954223633f, 14.835418701171875f, 12.794342994689941f, 
10.8228759765625f, 1.8299120664596558f, 19.726566314697266f, 6.669757843017578f, 
26.731624603271484f, 14.860260009765625f, 17.426788330078125f, 10.155445098876953f, 
11.9636812210083f, 7.225281238555908f, 16.83365249633789f, 8.843719482421875f, 17.311080932617188f, 
6.860666275024414f, 7.752635955810547f, 1.185032844543457f, 3.0039944648742676f, 
6.460726737976074f, 11.258346557617188f, 9.719719886779785f, 7.588923454284668f, 
16.32676124572754f, 15.042695999145508f, 23.415000915527344f, 11.799834251403809f, 
19.5749568939209f, 21.543880462646484f, 26.24155616760254f, 17.344411849975586f, 
16.095258712768555f, 12.759931564331055f, 12.10112476348877f, 3.0157604217529297f, 
13.52900505065918f, 4.472096920013428f, 16.35521125793457f, 4.791279315948486f, 8.806269645690918f, 
14.030458450317383f, 11.722443580627441f, 3.9457335472106934f, 16.61148452758789f, 
1.9340819120407104f, 8.049965858459473f, 9.612849235534668f, 25.790573120117188f, 4.3000807762146f, 
19.3565616607666f, 12.941876411437988f, 19.78746795654297f, 6.008401393890381f, 
13.435303688049316f, 13.244295120239258f, 17.48154067993164f, 22.896453857421875f, 
21.24147605895996f, 16.901487350463867f, 2.6323163509368896f, 23.55439567565918f, 
7.82487678527832f, 20.733341217041016f, 25.615999221801758f, 18.078336715698242f, 
18.898963928222656f, 2.9091989994049072f, 11.394383430480957f, 7.612850189208984f, 12.951171875f, 
26.895109176635742f, 11.725540161132812f, 18.55811309814453f, 3.8492698669433594f, 
3.6110498905181885f, 11.046529769897461f, 5.629894256591797f, 18.616432189941406f, 
21.049762725830078f, 26.901330947875977f, 12.83143424987793f, 17.681137084960938f, 
7.5257568359375f, 11.393885612487793f, 13.235494613647461f, 20.293107986450195f, 
6.209654808044434f, 17.459823608398438f, 4.7897844314575195f, 8.21910572052002f, 
18.706315994262695f, 2.033745288848877f, 17.524375915527344f, 0.7611457109451294f, 
10.952704429626465f, 9.354604721069336f, 14.18983268737793f, 12.629522323608398f, 
21.130001068115234f, 9.130796432495117f, 15.026498794555664f, 6.44326639175415f};
static const float nms_scores[144] = {0.03898584097623825f, 0.5903878808021545f, 
0.16601115465164185f, 0.6778737306594849f, 0.021075354889035225f, 0.31057021021842957f, 
0.9383412599563599f, 0.5383963584899902f, 0.811587393283844f, 0.6580260992050171f, 
0.6107507944107056f, 0.1912526786327362f, 0.5743947625160217f, 0.039686419069767f, 
0.801664412021637f, 0.9600709080696106f, 0.8540090918540955f, 0.050709646195173264f, 
0.3386600911617279f, 0.31800320744514465f, 0.11271699517965317f, 0.6266118288040161f, 
0.7974581718444824f, 0.3137214779853821f, 0.8628092408180237f, 0.7971268892288208f, 
0.12913794815540314f, 0.7668591737747192f, 0.8826206922531128f, 0.1972825676202774f, 
0.5736411809921265f, 0.6387499570846558f, 0.6093342304229736f, 0.096245676279068f, 
0.661191463470459f, 0.6319547295570374f, 0.8238855004310608f, 0.803512692451477f, 
0.32716819643974304f, 0.7220473289489746f, 0.8672733902931213f, 0.8929477334022522f, 
0.1615123301744461f, 0.02670235000550747f, 0.6508074402809143f, 0.21467627584934235f, 
0.5637097358703613f, 0.9448045492172241f, 0.3793196380138397f, 0.25277453660964966f, 
0.4565100371837616f, 0.6572439074516296f, 0.10109896957874298f, 0.3805847764015198f, 
0.13372118771076202f, 0.6624462008476257f, 0.8305525183677673f, 0.3768537938594818f, 
0.3717239499092102f, 0.5395216345787048f, 0.21505777537822723f, 0.24740959703922272f, 
0.32985228300094604f, 0.45742568373680115f, 0.08153145760297775f, 0.7527321577072144f, 
0.579054594039917f, 0.29969388246536255f, 0.07754657417535782f, 0.7631809711456299f, 
0.13107898831367493f, 0.13320663571357727f, 0.1306842416524887f, 0.08126231282949448f, 
0.9063923358917236f, 0.26924431324005127f, 0.3064105808734894f, 0.8327943086624146f, 
0.61992347240448f, 0.18714338541030884f, 0.43481341004371643f, 0.8839224576950073f, 
0.3753740191459656f, 0.7108815312385559f, 0.09680771082639694f, 0.7273247838020325f, 
0.7764735221862793f, 0.8257668018341064f, 0.6742010116577148f, 0.37073278427124023f, 
0.06421200186014175f, 0.5187762379646301f, 0.7574598789215088f, 0.19083820283412933f, 
0.2662372291088104f, 0.5361200571060181f, 0.7483315467834473f, 0.8965867161750793f, 
0.12574151158332825f, 0.1842702180147171f, 0.799536943435669f, 0.6445215940475464f, 
0.7209727764129639f, 0.9967711567878723f, 0.9391799569129944f, 0.8430250883102417f, 
0.7771158218383789f, 0.39501920342445374f, 0.6412290930747986f, 0.18444564938545227f, 
0.7594944834709167f, 0.7576906681060791f, 0.7212952375411987f, 0.4447990357875824f, 
0.3781803250312805f, 0.4197709262371063f, 0.0333392359316349f, 0.8443201184272766f, 
0.5423699021339417f, 0.38751864433288574f, 0.5480287671089172f, 0.7216402292251587f, 
0.38146087527275085f, 0.8306406736373901f, 0.9194633364677429f, 0.3874323070049286f, 
0.1378161609172821f, 0.7603732943534851f, 0.9929488301277161f, 0.14798815548419952f, 
0.7126756906509399f, 0.8253234028816223f, 0.9205719232559204f, 0.12338141351938248f, 
0.09180991351604462f, 0.9878715872764587f, 0.11675648391246796f, 0.17680755257606506f, 
0.5749529600143433f, 0.4462730288505554f, 0.7503921985626221f, 0.19055724143981934f, 
0.9144277572631836f, 0.2171948403120041f};
static const int64_t nms_want[90] = {0, 0, 15, 0, 0, 6, 0, 0, 16, 0, 0, 8, 0, 0, 14, 0, 1, 23, 0, 
1, 17, 0, 1, 4, 0, 1, 16, 0, 1, 0, 0, 2, 8, 0, 2, 21, 0, 2, 17, 0, 2, 7, 0, 2, 3, 1, 0, 2, 1, 0, 9, 
1, 0, 5, 1, 0, 15, 1, 0, 14, 1, 1, 7, 1, 1, 8, 1, 1, 1, 1, 1, 21, 1, 1, 9, 1, 2, 8, 1, 2, 15, 1, 2, 
12, 1, 2, 4, 1, 2, 22};

/* A NonMaxSuppression-`opset` node over fed boxes and scores; max_out < 0, iou < 0 or score
 * NAN leave that input out. */
static mk_model *nms_model(int opset, int center, int64_t max_out, float iou, float score)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "boxes", ONNXBN_FLOAT, -1, NULL);
    mk_input(mm, "scores", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "sel", ONNXBN_INT64, -1, NULL);
    const int64_t one = 1;
    if (max_out >= 0)
        mk_init(mm, "max_out", ONNXBN_INT64, 1, &one, &max_out);
    if (iou >= 0)
        mk_init(mm, "iou", ONNXBN_FLOAT, 0, NULL, &iou);
    if (!isnan(score))
        mk_init(mm, "score", ONNXBN_FLOAT, 1, &one, &score);
    char ins[64];
    snprintf(ins, sizeof ins, "boxes,scores,%s,%s,%s", max_out >= 0 ? "max_out" : "",
             iou >= 0 ? "iou" : "", isnan(score) ? "" : "score");
    /* Trailing omitted inputs are dropped, as exporters write them. */
    size_t n = strlen(ins);
    while (n && ins[n - 1] == ',')
        ins[--n] = 0;
    mk_node *nd = mk_node_add(mm, "NonMaxSuppression", "nms", ins, "sel");
    if (center >= 0)
        mk_attr_i(nd, "center_point_box", center);
    return mm;
}

/* Runs and compares the selected rows with want (rows x 3). */
static void expect_nms(mk_model *mm, int64_t b, int64_t c, int64_t n, const float *boxes,
                       const float *scores, const int64_t *want, int64_t rows)
{
    onnxbn_session *s = mk_open_ok(mm);
    const int64_t bd[3] = {b, n, 4}, sd[3] = {b, c, n};
    const mk_feed f[2] = {{"boxes", ONNXBN_FLOAT, 3, bd, boxes}, {"scores", ONNXBN_FLOAT, 3, sd, scores}};
    onnxbn_error err = {0};
    if (mk_run(s, 2, f, &err))
        fail_msg("run: %s", err.msg);
    const int64_t yd[2] = {rows, 3};
    mk_expect_bytes(s, 0, ONNXBN_INT64, 2, yd, want);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_against_torchvision(void **state)
{
    (void)state;
    expect_nms(nms_model(11, 0, 5, 0.3f, 0.25f), 2, 3, 24, nms_boxes, nms_scores, nms_want, 30);
    /* The same boxes as [x_center, y_center, width, height] select the same. */
    float centered[2 * 24 * 4];
    for (int i = 0; i < 2 * 24; i++) {
        const float *b = nms_boxes + i * 4;
        const float y0 = fminf(b[0], b[2]), y1 = fmaxf(b[0], b[2]);
        const float x0 = fminf(b[1], b[3]), x1 = fmaxf(b[1], b[3]);
        float *o = centered + i * 4;
        o[0] = (x0 + x1) / 2, o[1] = (y0 + y1) / 2, o[2] = x1 - x0, o[3] = y1 - y0;
    }
    expect_nms(nms_model(10, 1, 5, 0.3f, 0.25f), 2, 3, 24, centered, nms_scores, nms_want, 30);
}

/* Four boxes of one class: 0 and 1 identical, 2 overlaps them by IoU 1/3, 3 has no area. */
static const float hand_boxes[16] = {0, 0, 2, 2,
                                     0, 0, 2, 2,
                                     0, 1, 2, 3,
                                     5, 5, 5, 9};

static void test_ties_and_thresholds(void **state)
{
    (void)state;
    /* Equal scores: the lower index first, so box 0 is kept and suppresses 1 (IoU 1 > 0.5);
     * box 2's IoU with 0 is 2/6, not above 0.5; box 3 has no area and never suppresses. */
    const float s_tie[4] = {0.5f, 0.5f, 0.5f, 0.9f};
    const int64_t w1[9] = {0, 0, 3, 0, 0, 0, 0, 0, 2};
    expect_nms(nms_model(11, -1, 10, 0.5f, NAN), 1, 1, 4, hand_boxes, s_tie, w1, 3);
    /* IoU threshold 1/4: now box 2 (IoU 1/3) is suppressed by box 0. */
    const int64_t w2[6] = {0, 0, 3, 0, 0, 0};
    expect_nms(nms_model(11, 0, 10, 0.25f, NAN), 1, 1, 4, hand_boxes, s_tie, w2, 2);
    /* score_threshold is strict: 0.5 is not above 0.5. */
    const int64_t w3[3] = {0, 0, 3};
    expect_nms(nms_model(11, 0, 10, 0.5f, 0.5f), 1, 1, 4, hand_boxes, s_tie, w3, 1);
    /* The largest limit is no limit (and no overflow on the way to the bound). */
    expect_nms(nms_model(11, -1, INT64_MAX, 0.5f, NAN), 1, 1, 4, hand_boxes, s_tie, w1, 3);
    /* max_output_boxes_per_class limits each class. */
    expect_nms(nms_model(11, 0, 1, 0.5f, NAN), 1, 1, 4, hand_boxes, s_tie, w3, 1);
    /* No max_output_boxes_per_class: 0, nothing selected; the output is [0, 3]. */
    expect_nms(nms_model(11, 0, -1, -1, NAN), 1, 1, 4, hand_boxes, s_tie, w3, 0);
    /* iou_threshold absent is 0: any overlap suppresses, so 1 and 2 go. */
    const int64_t w4[6] = {0, 0, 3, 0, 0, 0};
    expect_nms(nms_model(11, 0, 4, -1, NAN), 1, 1, 4, hand_boxes, s_tie, w4, 2);
}

/* The greedy rule pair by pair, as the spec states it (every candidate against every kept box):
 * the reference for the bucketed search of nms.c. IoU in float as onnxruntime's SuppressByIOU. */
static int64_t brute_nms(const float *boxes, const float *scores, int64_t n, float iou, int64_t *sel)
{
    int64_t *order = malloc((size_t)n * sizeof *order), nk = 0;
    assert_non_null(order);
    for (int64_t i = 0; i < n; i++)
        order[i] = i;
    for (int64_t a = 1; a < n; a++) { /* insertion sort: scores descending, ties by index */
        const int64_t v = order[a];
        int64_t b = a;
        for (; b > 0 && scores[v] > scores[order[b - 1]]; b--)
            order[b] = order[b - 1];
        order[b] = v;
    }
    for (int64_t j = 0; j < n; j++) {
        const float *p = boxes + order[j] * 4;
        bool keep = true;
        for (int64_t q = 0; q < nk && keep; q++) {
            const float *r = boxes + sel[q] * 4;
            const float ax0 = fminf(p[1], p[3]), ax1 = fmaxf(p[1], p[3]), ay0 = fminf(p[0], p[2]),
                        ay1 = fmaxf(p[0], p[2]);
            const float bx0 = fminf(r[1], r[3]), bx1 = fmaxf(r[1], r[3]), by0 = fminf(r[0], r[2]),
                        by1 = fmaxf(r[0], r[2]);
            const float iw = fmaxf(fminf(ax1, bx1) - fmaxf(ax0, bx0), 0.0f);
            const float ih = fmaxf(fminf(ay1, by1) - fmaxf(ay0, by0), 0.0f);
            const float inter = iw * ih, area_a = (ax1 - ax0) * (ay1 - ay0),
                        area_b = (bx1 - bx0) * (by1 - by0), uni = area_a + area_b - inter;
            if (inter > 0 && area_a > 0 && area_b > 0 && uni > 0 && inter / uni > iou)
                keep = false;
        }
        if (keep)
            sel[nk++] = order[j];
    }
    free(order);
    return nk;
}

/* torchvision's batched NMS: one call, each of 40 classes' boxes offset by 1000 px in x and y, so
 * a candidate meets only its own class's boxes. nms.c compares a candidate only with the kept
 * boxes whose x range can reach it; the selection must be the pairwise rule's exactly, with wide
 * boxes (the search must reach back past them), boxes on bucket edges, identical boxes, tied
 * scores, boxes without area and NaN and infinite corners among them. Two classes of scores:
 * the buckets empty between classes. */
static void test_batched_many_boxes(void **state)
{
    (void)state;
    enum { N = 1200 };
    float *boxes = malloc(N * 4 * sizeof(float)), *scores = malloc(2 * N * sizeof(float));
    int64_t *sel = malloc(N * sizeof(int64_t)), *want = malloc(2 * N * 3 * sizeof(int64_t));
    assert_true(boxes && scores && sel && want);
    uint32_t seed = 99;
#define RND() (seed = seed * 1664525u + 1013904223u, (float)(seed >> 8) / 16777216.0f)
    for (int i = 0; i < N; i++) {
        const float off = (float)(i % 40) * 1000.0f;
        const float x0 = RND() * 700.0f, y0 = RND() * 700.0f;
        const float w = i % 97 == 0 ? 900.0f : 5.0f + RND() * 120.0f, h = 5.0f + RND() * 120.0f;
        float *b = boxes + i * 4; /* [y1, x1, y2, x2], every third with the diagonal flipped */
        b[0] = off + y0, b[1] = off + x0, b[2] = off + y0 + h, b[3] = off + x0 + w;
        if (i % 3 == 0) {
            const float t0 = b[0], t1 = b[1];
            b[0] = b[2], b[1] = b[3], b[2] = t0, b[3] = t1;
        }
        scores[i] = (float)(int)(RND() * 50.0f) / 50.0f; /* many ties */
        scores[N + i] = RND();
    }
    memcpy(boxes + 4 * 7, boxes + 4 * 47, 4 * sizeof(float)); /* the same box as 47 */
    boxes[4 * 11 + 3] = boxes[4 * 11 + 1];                     /* no width */
    boxes[4 * 13 + 0] = NAN;
    boxes[4 * 17 + 3] = INFINITY;
    boxes[4 * 19 + 1] = -INFINITY;
    for (int iou = 0; iou < 3; iou++) {
        const float t = iou == 0 ? 0.0f : iou == 1 ? 0.3f : 0.7f;
        int64_t rows = 0;
        for (int c = 0; c < 2; c++) {
            const int64_t nk = brute_nms(boxes, scores + c * N, N, t, sel);
            for (int64_t q = 0; q < nk; q++, rows++) {
                want[rows * 3] = 0;
                want[rows * 3 + 1] = c;
                want[rows * 3 + 2] = sel[q];
            }
        }
        assert_true(rows > 2 * 40 && rows < 2 * N); /* the case suppresses some and keeps many */
        expect_nms(nms_model(11, 0, N, t, NAN), 1, 2, N, boxes, scores, want, rows);
    }
#undef RND
    free(boxes);
    free(scores);
    free(sel);
    free(want);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    const float boxes[2 * 3 * 4] = {0}, scores[2 * 1 * 4] = {0};
    const int64_t bd[3] = {2, 3, 4}, sd[3] = {2, 1, 4};
    const mk_feed f[2] = {{"boxes", ONNXBN_FLOAT, 3, bd, boxes}, {"scores", ONNXBN_FLOAT, 3, sd, scores}};
    /* scores [B, C, N'] with N' != N: one error naming the node and both shapes. */
    mk_model *mm = nms_model(11, 0, 3, 0.5f, NAN);
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE,
                   "node 'nms' (NonMaxSuppression): input 'scores' has shape [2,1,4], expected [2, classes, 3] for boxes [2,3,4]");
    /* Batches that differ. */
    const int64_t sd2[3] = {1, 1, 3};
    const mk_feed f2[2] = {{"boxes", ONNXBN_FLOAT, 3, bd, boxes}, {"scores", ONNXBN_FLOAT, 3, sd2, scores}};
    mk_expect_fail(mm, 2, f2, ONNXBN_ERR_SHAPE, "expected [2, classes, 3]");
    /* Boxes that are not [B, N, 4]. */
    const int64_t bd3[3] = {2, 4, 3};
    const mk_feed f3[2] = {{"boxes", ONNXBN_FLOAT, 3, bd3, boxes}, {"scores", ONNXBN_FLOAT, 3, sd, scores}};
    mk_expect_fail(mm, 2, f3, ONNXBN_ERR_SHAPE, "input 'boxes' has shape [2,4,3]");
    mk_free(mm);
    mm = nms_model(11, 0, 3, 1.5f, NAN);
    const int64_t sd4[3] = {2, 1, 3};
    const mk_feed f4[2] = {{"boxes", ONNXBN_FLOAT, 3, bd, boxes}, {"scores", ONNXBN_FLOAT, 3, sd4, scores}};
    mk_expect_fail(mm, 2, f4, ONNXBN_ERR_MODEL, "iou_threshold is 1.5");
    mk_free(mm);
    mm = nms_model(11, 2, 3, 0.5f, NAN);
    mk_expect_fail(mm, 2, f4, ONNXBN_ERR_MODEL, "center_point_box is 2");
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_torchvision),
        cmocka_unit_test(test_ties_and_thresholds),
        cmocka_unit_test(test_batched_many_boxes),
        cmocka_unit_test(test_bad_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
