/* SPDX-License-Identifier: Apache-2.0 */
/* test_roialign.c — RoiAlign 10/16 and MaxRoiPool 1: random maps and rois (some past the border,
 * one under a pixel) against torchvision's roi_align and roi_pool, the max mode by hand, the
 * 16-bit and double types, and the bad inputs' errors (batch index out of range). */
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

/* X [2, 2, 8, 9] uniform in [-2, 2); five rois [x1, y1, x2, y2] in input pixels (spatial_scale
 * 0.5) on batches {0, 1, 1, 0, 1}; outputs [5, 2, 3, 3] from torchvision 0.14 (a numpy/torchvision
 * script, seed 11): roi_align aligned=True sampling_ratio=0 (half_pixel, adaptive), aligned=False
 * sampling_ratio=2 (output_half_pixel), and roi_pool (roi_rois5: the batch index in front). */
static const float roi_x[288] = {-1.4857192039489746f, -0.0028885502833873034f, 
0.40599343180656433f, -1.8852440118789673f, -1.4082956314086914f, 1.7128441333770752f, 
-1.7183177471160889f, -1.480904221534729f, 1.7933138608932495f, 0.48753437399864197f, 
-0.5240275263786316f, 0.0455600880086422f, 0.6513718366622925f, -0.8987647294998169f, 
-1.4481277465820312f, 1.1521583795547485f, 0.6814423203468323f, 0.04952925443649292f, 
1.266945719718933f, 0.19630107283592224f, 1.923654556274414f, -1.1819621324539185f, 
0.21492144465446472f, -0.06550121307373047f, -0.5869005918502808f, 0.3663812279701233f, 
-1.0587950944900513f, 1.2088106870651245f, 1.4693342447280884f, -1.4849612712860107f, 
-0.13170717656612396f, -0.8914204239845276f, -1.667531967163086f, 1.5837771892547607f, 
-0.28020521998405457f, -1.4092347621917725f, 0.6934494376182556f, -1.1911358833312988f, 
1.6057243347167969f, -1.1314070224761963f, -1.8677012920379639f, -1.1969242095947266f, 
-0.6170085072517395f, -0.12436734884977341f, 1.6245373487472534f, 0.7894443273544312f, 
-0.6427173614501953f, -1.9324911832809448f, -1.3607052564620972f, 1.985743522644043f, 
-0.16113607585430145f, 0.7641596794128418f, -1.781327724456787f, -1.8637988567352295f, 
1.3835604190826416f, 0.35152775049209595f, -0.7651610374450684f, -0.730493426322937f, 
-1.643051028251648f, -1.309321641921997f, -1.9016555547714233f, 1.356499433517456f, 
-0.13478721678256989f, -1.4911882877349854f, 0.9569875001907349f, -1.21738862991333f, 
-1.752319097518921f, 0.3935684263706207f, 1.5830310583114624f, -1.8922263383865356f, 
1.2205439805984497f, -1.239319920539856f, -1.628394365310669f, -1.9281518459320068f, 
-0.8280997276306152f, 0.9084469676017761f, -0.02728419564664364f, 1.411679983139038f, 
-1.1311547756195068f, -0.7392690181732178f, -0.9674366116523743f, 1.913204550743103f, 
1.764024019241333f, -0.6372553110122681f, -0.2559939920902252f, -0.7427214980125427f, 
0.9860356450080872f, -1.8399475812911987f, -1.7302442789077759f, -0.3838496506214142f, 
-1.0196237564086914f, 1.3808999061584473f, 0.9672284126281738f, 0.1831759363412857f, 
0.6459020376205444f, 0.7691164016723633f, 1.124219298362732f, 1.7100104093551636f, 
-1.4010592699050903f, 0.5045206546783447f, -1.4255142211914062f, -0.22747623920440674f, 
1.1451390981674194f, 1.5787911415100098f, 1.0369125604629517f, -1.8583672046661377f, 
-0.5623517036437988f, -1.3477727174758911f, 1.9952099323272705f, -1.423938512802124f, 
-1.0227422714233398f, -0.5711211562156677f, -1.7564531564712524f, 1.4815397262573242f, 
0.5454456806182861f, -1.3610070943832397f, -0.006925769150257111f, -1.6853209733963013f, 
0.4439191520214081f, -1.0733470916748047f, -1.8454443216323853f, -1.5390499830245972f, 
0.22105048596858978f, 0.5479224324226379f, -0.700797438621521f, 0.5738097429275513f, 
-0.5917356014251709f, -1.47736394405365f, -0.7391588687896729f, -0.4189271032810211f, 
1.6505553722381592f, -1.5373585224151611f, -1.6553444862365723f, 0.24600811302661896f, 
1.8535711765289307f, 1.6290204524993896f, 0.8009762167930603f, -1.7329970598220825f, 
1.2256057262420654f, 0.7334989309310913f, -1.4242790937423706f, -0.1402250975370407f, 
-1.8027093410491943f, 1.2075039148330688f, 0.8745368719100952f, 1.2185124158859253f, 
1.041662573814392f, -0.9309697151184082f, 1.1589620113372803f, -1.0033174753189087f, 
-1.448418140411377f, -0.43843987584114075f, -0.008638588711619377f, -0.8567113876342773f, 
0.4231316149234772f, 0.41001492738723755f, -1.0407294034957886f, 0.4902699589729309f, 
-0.5709883570671082f, 0.938758373260498f, -0.8383281826972961f, 1.195173740386963f, 
-0.33955806493759155f, 0.21296094357967377f, 0.6933853030204773f, 0.07350949943065643f, 
-0.9695273637771606f, 1.917526364326477f, -1.6157783269882202f, -0.7003052830696106f, 
0.1964491903781891f, -1.8851981163024902f, -1.3803476095199585f, 1.1970577239990234f, 
1.1352574825286865f, 0.5478655695915222f, 1.6071985960006714f, 1.022093653678894f, 
-0.8048621416091919f, 0.5794661045074463f, -0.6396705508232117f, 0.9993777275085449f, 
-0.4608251750469208f, -1.3870265483856201f, 1.505826473236084f, 0.7616217732429504f, 
0.9787149429321289f, 0.23839165270328522f, 1.131766438484192f, -0.20850642025470734f, 
0.2631721496582031f, -1.7497448921203613f, 0.22027485072612762f, 1.258414387702942f, 
0.8221821188926697f, 1.212608814239502f, -0.015603521838784218f, 1.5253405570983887f, 
-1.5667906999588013f, 1.5028021335601807f, -0.5149140357971191f, -1.6361498832702637f, 
0.47733208537101746f, -0.1804295778274536f, -0.28650960326194763f, 1.4081162214279175f, 
-1.4488345384597778f, 0.4677392244338989f, -0.34499940276145935f, 0.11303502321243286f, 
-0.002362477360293269f, -1.4634836912155151f, 0.04806152731180191f, 1.4484219551086426f, 
-1.3150629997253418f, -1.9541244506835938f, -1.7297388315200806f, -0.1608171910047531f, 
1.8978081941604614f, -1.8230524063110352f, 1.963718056678772f, 0.14421233534812927f, 
-1.5194388628005981f, -0.3258424997329712f, -1.1705597639083862f, 0.8566058874130249f, 
0.16605475544929504f, -0.8481602072715759f, -0.9783094525337219f, 1.4679075479507446f, 
1.0649681091308594f, -0.25525984168052673f, -0.3779550790786743f, 0.9498916268348694f, 
1.8829385042190552f, -1.6816294193267822f, -1.3636655807495117f, -0.5506932139396667f, 
0.030859174206852913f, -1.714365005493164f, -1.786041498184204f, -1.1221510171890259f, 
-0.4561619162559509f, 0.9571276903152466f, 0.4396572709083557f, -1.8831835985183716f, 
-1.8199485540390015f, -0.19188109040260315f, 1.499402642250061f, 1.659988522529602f, 
-0.5395782589912415f, 1.5494906902313232f, 1.7164971828460693f, -0.37354394793510437f, 
0.9842926263809204f, -0.5386306047439575f, -1.3856920003890991f, 0.30079182982444763f, 
-1.654310703277588f, 0.6534126400947571f, 1.2367995977401733f, 1.6616237163543701f, 
-0.2079000622034073f, -1.5304608345031738f, 1.6099660396575928f, 1.4814796447753906f, 
1.8704408407211304f, 0.37591540813446045f, 0.6936142444610596f, -0.5068820714950562f, 
-1.2674560546875f, -0.833139955997467f, 0.8826261758804321f, -0.7000654339790344f, 
0.7663459181785583f, 0.008636836893856525f, -0.20401562750339508f, 1.8705116510391235f, 
-1.3356379270553589f, -0.05135682597756386f, -1.3611414432525635f, 1.7498278617858887f, 
-0.04552235081791878f, -0.6721359491348267f, -1.326718807220459f, 0.3764027953147888f, 
-0.40416428446769714f, -1.4912794828414917f};
static const float roi_rois[20] = {2.0f, 3.0f, 11.0f, 13.0f, 0.0f, 0.0f, 17.0f, 15.0f, -6.0f, 
-4.0f, 5.0f, 7.5f, 10.199999809265137f, 8.699999809265137f, 24.0f, 20.299999237060547f, 7.0f, 7.0f, 
7.599999904632568f, 7.400000095367432f};
static const float roi_rois5[25] = {0.0f, 2.0f, 3.0f, 11.0f, 13.0f, 1.0f, 0.0f, 0.0f, 17.0f, 15.0f, 
1.0f, -6.0f, -4.0f, 5.0f, 7.5f, 0.0f, 10.199999809265137f, 8.699999809265137f, 24.0f, 
20.299999237060547f, 1.0f, 7.0f, 7.0f, 7.599999904632568f, 7.400000095367432f};
static const float want_half_pixel_adaptive[90] = {0.45216840505599976f, -0.04117342829704285f, 
-0.39643925428390503f, 0.16525186598300934f, -0.4620765447616577f, -1.349269151687622f, 
-0.5631750822067261f, -1.049085021018982f, 0.011307820677757263f, 0.8246442079544067f, 
0.24127362668514252f, 0.5049753189086914f, -1.0076839923858643f, -0.021517783403396606f, 
0.35592707991600037f, -0.5783385038375854f, -1.136533498764038f, -0.5187884569168091f, 
0.44759002327919006f, -0.11785492300987244f, -0.3656502962112427f, -0.3085622191429138f, 
0.5286933183670044f, 0.3392699956893921f, -0.24523676931858063f, -0.047013405710458755f, 
0.31590917706489563f, -0.06746979802846909f, 0.09735231101512909f, -0.5755991339683533f, 
0.22765572369098663f, -0.48962026834487915f, 0.050781916826963425f, -0.13705959916114807f, 
0.4830385446548462f, 0.24957996606826782f, 0.0f, 0.0f, 0.0f, 0.0f, 0.06757481396198273f, 
0.7104225158691406f, 0.0f, -0.49187830090522766f, -0.15788641571998596f, 0.0f, 0.0f, 0.0f, 0.0f, 
-0.3125770688056946f, 0.06765980273485184f, 0.0f, 0.7149484157562256f, -0.5165601968765259f, 
-0.4482294023036957f, -0.5173160433769226f, 0.0f, -0.34770286083221436f, -0.3315301835536957f, 
0.0f, 0.0f, 0.0f, 0.0f, 0.10379495471715927f, 0.24944603443145752f, 0.0f, -1.0637716054916382f, 
0.8481501936912537f, 0.0f, 0.0f, 0.0f, 0.0f, 1.027612328529358f, 0.9804739356040955f, 
0.9333354830741882f, 0.8710609674453735f, 0.8471242189407349f, 0.8231874108314514f, 
0.7145090699195862f, 0.7137739658355713f, 0.7130389213562012f, -1.6999598741531372f, 
-1.5454037189483643f, -1.3908472061157227f, -1.6227892637252808f, -1.4847338199615479f, 
-1.3466781377792358f, -1.5456182956695557f, -1.4240639209747314f, -1.3025089502334595f};
static const float want_output_half_pixel_ratio2[90] = {0.5111464858055115f, -0.486369252204895f, 
-0.5106849670410156f, -0.08355994522571564f, -0.8619940876960754f, -0.9356310367584229f, 
-0.8254601955413818f, -0.7689193487167358f, -0.5919327735900879f, 0.4232194125652313f, 
0.6498671770095825f, 0.8348379135131836f, -0.8956716060638428f, -0.6712314486503601f, 
0.3891655504703522f, -0.8283751010894775f, -0.4798858165740967f, -0.4635756015777588f, 
0.3776524066925049f, 0.08045810461044312f, -0.19000805914402008f, -0.21353721618652344f, 
0.855165421962738f, 0.62955641746521f, -0.14013899862766266f, -0.1455751359462738f, 
-0.21940773725509644f, -0.43334341049194336f, -0.10081303119659424f, -0.5903525352478027f, 
-0.16295526921749115f, 0.2818180024623871f, 0.5099633932113647f, -0.007116466760635376f, 
-0.025005429983139038f, -0.25360846519470215f, 0.0f, 0.45518383383750916f, 0.5389689207077026f, 
0.0f, -0.15169915556907654f, 0.6097034215927124f, 0.0f, -1.1149247884750366f, 0.21865135431289673f, 
0.0f, -0.7831547260284424f, 0.45982083678245544f, 0.0f, 0.20321236550807953f, 
-0.19736731052398682f, 0.0f, 1.1930123567581177f, -0.9130538702011108f, -0.45227837562561035f, 
-0.4345822036266327f, 0.0f, -0.09223802387714386f, -0.5258923768997192f, 0.0f, 0.0f, 0.0f, 0.0f, 
-0.35863345861434937f, 0.5009791254997253f, 0.0f, -1.0133326053619385f, 0.6058562994003296f, 0.0f, 
0.0f, 0.0f, 0.0f, 0.6089156866073608f, 1.1083478927612305f, 1.1388310194015503f, 
0.5654147267341614f, 1.3169862031936646f, 1.2368608713150024f, 0.6651506423950195f, 
1.3018488883972168f, 1.2095067501068115f, -0.9804155230522156f, -0.9165010452270508f, 
-0.425060510635376f, -0.9784879684448242f, -1.1187094449996948f, -0.6722780466079712f, 
-0.22745616734027863f, -0.3524054288864136f, -0.011976286768913269f};
static const float want_roi_pool[90] = {1.923654556274414f, 0.21492144465446472f, 
1.5837771892547607f, 1.6057243347167969f, 1.985743522644043f, 0.7641596794128418f, 
0.9569875001907349f, 0.3935684263706207f, 1.5830310583114624f, 1.3808999061584473f, 
1.5787911415100098f, 1.124219298362732f, 0.4439191520214081f, -0.5711211562156677f, 
1.4815397262573242f, 0.8009762167930603f, 1.6505553722381592f, -0.1402250975370407f, 
1.2185124158859253f, 1.917526364326477f, 1.195173740386963f, 1.1970577239990234f, 
1.6071985960006714f, 1.5253405570983887f, 1.5028021335601807f, 1.4484219551086426f, 
1.4484219551086426f, 1.8978081941604614f, 1.963718056678772f, 0.9498916268348694f, 
1.7164971828460693f, 1.8704408407211304f, 1.659988522529602f, 1.7498278617858887f, 
0.7663459181785583f, 1.8705116510391235f, 0.0f, 1.2185124158859253f, 1.2185124158859253f, 0.0f, 
1.2185124158859253f, 1.2185124158859253f, 0.0f, 0.9993777275085449f, 1.1970577239990234f, 0.0f, 
-0.1608171910047531f, 1.8978081941604614f, 0.0f, 1.8829385042190552f, 1.8978081941604614f, 0.0f, 
1.8829385042190552f, 0.9842926263809204f, 1.356499433517456f, 1.6245373487472534f, 0.0f, 
1.5830310583114624f, 1.356499433517456f, 0.0f, 0.0f, 0.0f, 0.0f, 1.4815397262573242f, 
1.8535711765289307f, 0.0f, 0.24600811302661896f, 1.8535711765289307f, 0.0f, 0.0f, 0.0f, 0.0f, 
1.505826473236084f, 1.505826473236084f, 1.505826473236084f, 1.505826473236084f, 1.505826473236084f, 
1.505826473236084f, 1.505826473236084f, 1.505826473236084f, 1.505826473236084f, 
-1.3856920003890991f, -1.3856920003890991f, -1.3856920003890991f, -1.3856920003890991f, 
-1.3856920003890991f, -1.3856920003890991f, -1.3856920003890991f, -1.3856920003890991f, 
-1.3856920003890991f};

static const int64_t roi_batch[5] = {0, 1, 1, 0, 1};
static const int64_t x_dims[4] = {2, 2, 8, 9}, r_dims[2] = {5, 4}, b_dims[1] = {5},
                     y_dims[4] = {5, 2, 3, 3};

/* RoiAlign-`opset` over fed X, rois, batch_indices; ctm/mode NULL leave the attribute out. */
static mk_model *ra_model(int opset, onnxbn_dtype t, const char *ctm, const char *mode, int64_t oh,
                          int64_t ow, int64_t ratio, float scale)
{
    mk_model *mm = mk_new(opset);
    mk_input(mm, "X", t, -1, NULL);
    mk_input(mm, "rois", t, -1, NULL);
    mk_input(mm, "bi", ONNXBN_INT64, -1, NULL);
    mk_output(mm, "Y", t, -1, NULL);
    mk_node *n = mk_node_add(mm, "RoiAlign", "ra", "X,rois,bi", "Y");
    if (ctm)
        mk_attr_s(n, "coordinate_transformation_mode", ctm);
    if (mode)
        mk_attr_s(n, "mode", mode);
    mk_attr_i(n, "output_height", oh);
    mk_attr_i(n, "output_width", ow);
    mk_attr_i(n, "sampling_ratio", ratio);
    mk_attr_f(n, "spatial_scale", scale);
    return mm;
}

static void expect_ra(mk_model *mm, const float *want)
{
    onnxbn_session *s = mk_open_ok(mm);
    const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 4, x_dims, roi_x},
                          {"rois", ONNXBN_FLOAT, 2, r_dims, roi_rois},
                          {"bi", ONNXBN_INT64, 1, b_dims, roi_batch}};
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 4, y_dims, want, 1e-5, 1e-4);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_against_torchvision(void **state)
{
    (void)state;
    expect_ra(ra_model(16, ONNXBN_FLOAT, NULL, NULL, 3, 3, 0, 0.5f), want_half_pixel_adaptive);
    expect_ra(ra_model(16, ONNXBN_FLOAT, "half_pixel", "avg", 3, 3, 0, 0.5f), want_half_pixel_adaptive);
    expect_ra(ra_model(16, ONNXBN_FLOAT, "output_half_pixel", NULL, 3, 3, 2, 0.5f),
              want_output_half_pixel_ratio2);
    /* RoiAlign-10 has no offset: output_half_pixel. */
    expect_ra(ra_model(10, ONNXBN_FLOAT, NULL, "avg", 3, 3, 2, 0.5f), want_output_half_pixel_ratio2);
}

/* Two threads split the rois (each with its own sample scratch) and give the same values. */
static void test_two_threads(void **state)
{
    (void)state;
    mk_model *mm = ra_model(16, ONNXBN_FLOAT, NULL, NULL, 3, 3, 0, 0.5f);
    size_t len;
    uint8_t *buf = mk_pack(mm, &len);
    onnxbn_model *model;
    onnxbn_session *s = NULL;
    onnxbn_error err = {0};
    onnxbn_options opt = {.size = sizeof opt, .threads = 2};
    if (onnxbn_model_load_buffer(buf, len, NULL, &opt, &model, &err) ||
        onnxbn_session_new(model, &opt, &s, &err))
        fail_msg("open: %s", err.msg);
    free(buf);
    const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 4, x_dims, roi_x},
                          {"rois", ONNXBN_FLOAT, 2, r_dims, roi_rois},
                          {"bi", ONNXBN_INT64, 1, b_dims, roi_batch}};
    mk_run_ok(s, 3, f);
    mk_expect_f32(s, 0, 4, y_dims, want_half_pixel_adaptive, 1e-5, 1e-4);
    onnxbn_session_free(s);
    mk_free(mm);
}

/* Rois hundreds of pixels from the origin, as the detection models' (a 800-pixel image, spatial
 * scale 1/4): there the sample points computed in double and in float differ by ~1e-5 px, and on
 * X's steep ramps (13 x 4 a pixel) the pooled values by up to 5.8e-4. Float X is sampled in float,
 * as torchvision and onnxruntime do: the values are torchvision 0.14's roi_align on float32 to
 * within an ulp (its float64 result is 5.8e-4 away, so double sample points fail this). */
static void test_far_from_origin(void **state)
{
    (void)state;
    float x[6 * 200];
    for (int y = 0; y < 6; y++)
        for (int i = 0; i < 200; i++)
            x[y * 200 + i] = (float)((y * 7 + i * 13) % 97 - 48) * 4.0f;
    const float rois[12] = {701.369995f, 3.29999995f, 787.909973f, 21.7000008f,
                            3.0999999f,  0.550000012f, 799.299988f, 23.8999996f,
                            610.122986f, 10.0100002f, 611.900024f, 11.1999998f};
    /* roi_align(aligned=False, sampling_ratio=2) and (aligned=True, sampling_ratio=0), 2 x 3 bins */
    static const float want_ratio2[18] = {
        30.8658314f, 18.5696411f, 24.6262321f, -54.1182747f, -20.2627888f, -4.75914049f,
        49.0863342f, 24.3124619f, -17.4882126f, -4.73428535f, 16.5158806f,  37.766098f,
        65.33535f,   82.6684189f, 100.002289f, 79.33535f,    96.6684265f,  114.002289f};
    static const float want_aligned[18] = {
        -7.79958487f, -11.6416254f, -8.70520115f, -9.77414227f, -11.0287247f, -3.06037903f,
        2.10579181f,  -3.38651824f, 0.0711372718f, 3.69507027f, 0.188806102f, -0.474016786f,
        15.6019611f,  23.3016701f,  31.002964f,    19.7669563f, 27.4666634f,  35.1679573f};
    const int64_t xd[4] = {1, 1, 6, 200}, rd[2] = {3, 4}, bd[1] = {3}, yd[4] = {3, 1, 2, 3};
    const int64_t b0[3] = {0, 0, 0};
    const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 4, xd, x},
                          {"rois", ONNXBN_FLOAT, 2, rd, rois},
                          {"bi", ONNXBN_INT64, 1, bd, b0}};
    for (int k = 0; k < 2; k++) {
        mk_model *mm = k == 0 ? ra_model(10, ONNXBN_FLOAT, NULL, "avg", 2, 3, 2, 0.25f)
                              : ra_model(16, ONNXBN_FLOAT, "half_pixel", "avg", 2, 3, 0, 0.25f);
        onnxbn_session *s = mk_open_ok(mm);
        mk_run_ok(s, 3, f);
        mk_expect_f32(s, 0, 4, yd, k == 0 ? want_ratio2 : want_aligned, 1e-6, 1.2e-7);
        onnxbn_session_free(s);
        mk_free(mm);
    }
}

/* The same in double: the same sample points, so the same values to float rounding. */
static void test_double(void **state)
{
    (void)state;
    double xd[2 * 2 * 8 * 9], rd[20];
    for (size_t i = 0; i < sizeof xd / sizeof *xd; i++)
        xd[i] = roi_x[i];
    for (int i = 0; i < 20; i++)
        rd[i] = roi_rois[i];
    mk_model *mm = ra_model(16, ONNXBN_DOUBLE, NULL, NULL, 3, 3, 0, 0.5f);
    onnxbn_session *s = mk_open_ok(mm);
    const mk_feed f[3] = {{"X", ONNXBN_DOUBLE, 4, x_dims, xd},
                          {"rois", ONNXBN_DOUBLE, 2, r_dims, rd},
                          {"bi", ONNXBN_INT64, 1, b_dims, roi_batch}};
    mk_run_ok(s, 3, f);
    const onnxbn_tensor *y = onnxbn_session_output(s, 0);
    assert_int_equal(onnxbn_tensor_dtype(y), ONNXBN_DOUBLE);
    assert_int_equal(onnxbn_tensor_numel(y), 90);
    for (int i = 0; i < 90; i++) {
        const double got = ((const double *)onnxbn_tensor_cdata(y))[i];
        const double want = want_half_pixel_adaptive[i];
        if (fabs(got - want) > 1e-5 + 1e-4 * fabs(want))
            fail_msg("Y[%d] = %.9g, torchvision %.9g", i, got, want);
    }
    onnxbn_session_free(s);
    mk_free(mm);
}

/* X = [[1, 2], [3, 4]], roi [0, 0, 1, 1] without offset, one bin. One sample (ratio 1) at
 * (0.5, 0.5): corners weigh 1/4 each, the weighted corners are 0.25 0.5 0.75 1, so max 1 and avg
 * 2.5. Four samples (ratio 2) at 0.25/0.75: the largest weighted corner is 0.5625, 1.125, 1.6875
 * and 2.25 (0.5625 x 4 at (0.75, 0.75)), so max 2.25; the bilinear values 1.75 2.25 2.75 3.25
 * average to 2.5. In float16 every one of these is exact. */
static void test_max_mode_by_hand(void **state)
{
    (void)state;
    const float x[4] = {1, 2, 3, 4}, roi[4] = {0, 0, 1, 1};
    const int64_t bi = 0, xd[4] = {1, 1, 2, 2}, rd[2] = {1, 4}, bd[1] = {1}, yd[4] = {1, 1, 1, 1};
    const struct {
        const char *mode;
        int64_t ratio;
        float want;
    } cases[] = {{"max", 1, 1.0f}, {"avg", 1, 2.5f}, {"max", 2, 2.25f}, {"avg", 2, 2.5f}};
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mk_model *mm = ra_model(16, ONNXBN_FLOAT, "output_half_pixel", cases[k].mode, 1, 1,
                                cases[k].ratio, 1.0f);
        onnxbn_session *s = mk_open_ok(mm);
        const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 4, xd, x},
                              {"rois", ONNXBN_FLOAT, 2, rd, roi},
                              {"bi", ONNXBN_INT64, 1, bd, &bi}};
        mk_run_ok(s, 3, f);
        mk_expect_f32(s, 0, 4, yd, &cases[k].want, 0, 0);
        onnxbn_session_free(s);
        mk_free(mm);

        uint16_t xh[4], rh[4], wh = onnxbn_float_to_half(cases[k].want);
        for (int i = 0; i < 4; i++)
            xh[i] = onnxbn_float_to_half(x[i]), rh[i] = onnxbn_float_to_half(roi[i]);
        mm = ra_model(16, ONNXBN_FLOAT16, "output_half_pixel", cases[k].mode, 1, 1, cases[k].ratio, 1.0f);
        s = mk_open_ok(mm);
        const mk_feed fh[3] = {{"X", ONNXBN_FLOAT16, 4, xd, xh},
                               {"rois", ONNXBN_FLOAT16, 2, rd, rh},
                               {"bi", ONNXBN_INT64, 1, bd, &bi}};
        mk_run_ok(s, 3, fh);
        mk_expect_bytes(s, 0, ONNXBN_FLOAT16, 4, yd, &wh);
        onnxbn_session_free(s);
        mk_free(mm);
    }
}

/* A roi whose adaptive grid (ceil(40 / 1) = 40 x 40 samples a bin) is larger than the scratch
 * takes the sample-per-channel path: on a constant map every average is that constant, and the
 * bins wholly outside the map (more than a pixel past it) are 0. */
static void test_large_grid(void **state)
{
    (void)state;
    float x[2 * 6 * 6];
    for (int i = 0; i < 72; i++)
        x[i] = i < 36 ? 3.0f : -1.0f;
    const float roi[4] = {0, 0, 5, 5}, far[4] = {100, 100, 140, 140};
    const int64_t xd[4] = {1, 2, 6, 6}, rd[2] = {2, 4}, bd[1] = {2}, yd[4] = {2, 2, 1, 1};
    float rois[8];
    memcpy(rois, roi, sizeof roi);
    memcpy(rois + 4, far, sizeof far);
    const int64_t b0[2] = {0, 0};
    mk_model *mm = ra_model(16, ONNXBN_FLOAT, "output_half_pixel", "avg", 1, 1, 0, 8.0f);
    onnxbn_session *s = mk_open_ok(mm);
    const mk_feed f[3] = {{"X", ONNXBN_FLOAT, 4, xd, x},
                          {"rois", ONNXBN_FLOAT, 2, rd, rois},
                          {"bi", ONNXBN_INT64, 1, bd, b0}};
    mk_run_ok(s, 3, f);
    /* spatial_scale 8 makes the first roi 40 x 40 on a 6 x 6 map: the samples past 7 (y or x >
     * 6) weigh nothing, the others clamp to the border, so the average is 3 x (samples in) / 1600. */
    int in = 0;
    for (int iy = 0; iy < 40; iy++)
        for (int ix = 0; ix < 40; ix++)
            in += (iy + 0.5 <= 6.0) && (ix + 0.5 <= 6.0);
    const float want[4] = {3.0f * (float)in / 1600.0f, -1.0f * (float)in / 1600.0f, 0, 0};
    mk_expect_f32(s, 0, 4, yd, want, 1e-6, 1e-5);
    onnxbn_session_free(s);
    mk_free(mm);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    mk_model *mm = ra_model(16, ONNXBN_FLOAT, NULL, NULL, 3, 3, 0, 0.5f);
    /* A batch index past N = 2, and a negative one: one error naming the node, no read. */
    const int64_t bad[5] = {0, 2, 1, 0, 1}, neg[5] = {0, 0, 0, 0, -1};
    mk_feed f[3] = {{"X", ONNXBN_FLOAT, 4, x_dims, roi_x},
                    {"rois", ONNXBN_FLOAT, 2, r_dims, roi_rois},
                    {"bi", ONNXBN_INT64, 1, b_dims, bad}};
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_SHAPE,
                   "node 'ra' (RoiAlign): batch_indices[1] is 2, outside [0, 2)");
    f[2].data = neg;
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_SHAPE, "batch_indices[4] is -1");
    /* batch_indices of another length than rois. */
    const int64_t b4[1] = {4};
    f[2].data = roi_batch;
    f[2].dims = b4;
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_SHAPE, "input 'batch_indices' has shape [4], expected [5]");
    /* rois that are not [num_rois, 4]. */
    const int64_t r45[2] = {4, 5};
    f[1].dims = r45;
    f[2].dims = b4;
    mk_expect_fail(mm, 3, f, ONNXBN_ERR_SHAPE, "input 'rois' has shape [4,5]");
    mk_free(mm);
    const mk_feed ok[3] = {{"X", ONNXBN_FLOAT, 4, x_dims, roi_x},
                           {"rois", ONNXBN_FLOAT, 2, r_dims, roi_rois},
                           {"bi", ONNXBN_INT64, 1, b_dims, roi_batch}};
    mm = ra_model(16, ONNXBN_FLOAT, NULL, "min", 3, 3, 0, 0.5f);
    mk_expect_fail(mm, 3, ok, ONNXBN_ERR_MODEL, "mode is 'min'");
    mk_free(mm);
    mm = ra_model(16, ONNXBN_FLOAT, "align_corners", NULL, 3, 3, 0, 0.5f);
    mk_expect_fail(mm, 3, ok, ONNXBN_ERR_MODEL, "coordinate_transformation_mode is 'align_corners'");
    mk_free(mm);
}

/* ---- MaxRoiPool ---- */

static mk_model *mrp_model(int64_t ph, int64_t pw, float scale)
{
    mk_model *mm = mk_new(12);
    mk_input(mm, "X", ONNXBN_FLOAT, -1, NULL);
    mk_input(mm, "rois", ONNXBN_FLOAT, -1, NULL);
    mk_output(mm, "Y", ONNXBN_FLOAT, -1, NULL);
    mk_node *n = mk_node_add(mm, "MaxRoiPool", "mrp", "X,rois", "Y");
    const int64_t shape[2] = {ph, pw};
    mk_attr_ints(n, "pooled_shape", 2, shape);
    mk_attr_f(n, "spatial_scale", scale);
    return mm;
}

static void test_maxroipool(void **state)
{
    (void)state;
    const int64_t r5[2] = {5, 5};
    mk_model *mm = mrp_model(3, 3, 0.5f);
    onnxbn_session *s = mk_open_ok(mm);
    mk_feed f[2] = {{"X", ONNXBN_FLOAT, 4, x_dims, roi_x}, {"rois", ONNXBN_FLOAT, 2, r5, roi_rois5}};
    mk_run_ok(s, 2, f);
    mk_expect_f32(s, 0, 4, y_dims, want_roi_pool, 0, 0);
    onnxbn_session_free(s);
    /* Batch index 2 of 2 batches: an error naming the node. */
    float bad[25];
    memcpy(bad, roi_rois5, sizeof bad);
    bad[10] = 2;
    f[1].data = bad;
    mk_expect_fail(mm, 2, f, ONNXBN_ERR_SHAPE, "node 'mrp' (MaxRoiPool): rois[2] has batch index 2");
    mk_free(mm);

    /* By hand: a 3 x 4 map 0..11, roi (x 1..3, y 0..2) pooled 2 x 2. Its 3 x 3 pixels split into
     * bins rows [0, 2) [1, 3), columns [1, 3) [2, 4) (floor and ceil of 1.5-pixel bins). */
    const float x[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, roi[5] = {0, 1, 0, 3, 2};
    const int64_t xd[4] = {1, 1, 3, 4}, rd[2] = {1, 5}, yd[4] = {1, 1, 2, 2};
    const float want[4] = {6, 7, 10, 11};
    mm = mrp_model(2, 2, 1.0f);
    s = mk_open_ok(mm);
    const mk_feed fh[2] = {{"X", ONNXBN_FLOAT, 4, xd, x}, {"rois", ONNXBN_FLOAT, 2, rd, roi}};
    mk_run_ok(s, 2, fh);
    mk_expect_f32(s, 0, 4, yd, want, 0, 0);
    onnxbn_session_free(s);
    mk_free(mm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_torchvision),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_far_from_origin),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_max_mode_by_hand),
        cmocka_unit_test(test_large_grid),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_maxroipool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
