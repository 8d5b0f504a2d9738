/*
 * test_quantity.c - sg_quantity_parse against the Kubernetes quantity grammar
 * (k8s.io/apimachinery/pkg/api/resource): valid values with their base-unit
 * value, and texts the API server rejects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <scoregate/policy.h>

typedef struct valid_case {
    const char *text;
    double value;
} valid_case;

static void test_valid(void **state)
{
    (void)state;
    static const valid_case cases[] = {
        {"0", 0}, {"1", 1}, {"500m", 0.5}, {"0.5", 0.5}, {"+.5", 0.5}, {".5", 0.5},
        {"-1", -1}, {"1e3", 1000}, {"1E3", 1000}, {"1e+3", 1000}, {"1e-3", 0.001},
        {"1.5e3", 1500}, {"64Gi", 68719476736.0}, {"65Gi", 69793218560.0},
        {"1.5G", 1.5e9}, {"1.5Gi", 1610612736.0}, {"100n", 1e-7}, {"250u", 2.5e-4},
        {"1k", 1000}, {"1Ki", 1024}, {"2Mi", 2097152}, {"1M", 1e6}, {"1T", 1e12},
        {"1Ti", 1099511627776.0}, {"1P", 1e15}, {"1Pi", 1125899906842624.0}, {"1E", 1e18},
        {"1Ei", 1152921504606846976.0}, {"32", 32}, {"0.1", 0.1}, {"-500m", -0.5},
        {"007", 7}, {"1.", 1}, {"1.G", 1e9}, {"0.000000001", 1e-9},
        {"12345678901234567890", 12345678901234567890.0}, {"1e0", 1}, {"2E-2", 0.02},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double v = -12345;
        if (sg_quantity_parse(cases[i].text, &v) != 0) {
            print_error("\"%s\" was rejected\n", cases[i].text);
            fail();
        }
        if (v != cases[i].value) {
            print_error("\"%s\" gave %.17g, want %.17g\n", cases[i].text, v, cases[i].value);
            fail();
        }
    }
    double v;
    assert_int_equal(sg_quantity_parse("1e999999", &v), 0);
    assert_true(isinf(v));
}

static void test_invalid(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "", " 1", "1 ", "1 Gi", "--1", "+-1", "0x10", "1e", "Gi", "1Gib", "1gi", "1K", "1ki",
        "1KI", "1mi", "1e1.5", "1.5.5", ".", "+", "-", "+.", "1m5", "1e3m", "1Ki5", "e3",
        "1,5", "1_000", "inf", "NaN", "1i", "1b", "1 m", "m", "1E+", "1e-", "1ee3", "١",
        "1\n",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double v = -12345;
        if (sg_quantity_parse(cases[i], &v) == 0) {
            print_error("\"%s\" was accepted as %.17g\n", cases[i], v);
            fail();
        }
        assert_true(v == -12345);
    }
    double v;
    assert_int_equal(sg_quantity_parse(NULL, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
