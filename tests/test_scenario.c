/* Tests of the scenario module: every class of refusal names the file, line,
 * column, key path and the expectation; good files resolve to the expected
 * numbers; policies merge; to_yaml loads back to byte-identical models.
 * Fixtures live in tests/scenarios/{good,bad}. */
#include "chokepoint/scenario.h"
#include "engine/scenario/scenario_impl.h"
#include "engine/scenario/values_impl.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

static char path_buf[4096];

static const char *src(const char *rel)
{
    const char *root = getenv("CKP_SOURCE_ROOT");
    snprintf(path_buf, sizeof path_buf, "%s/%s", root ? root : ".", rel);
    return path_buf;
}

static ckp_scenario *load_ok(const char *rel)
{
    ckp_scenario *sc = NULL;
    ckp_error e;
    ckp_status st = ckp_scenario_load_file(src(rel), &sc, &e);
    CHECK(st == CKP_OK && sc, "%s: %s", rel, st ? e.message : "");
    return st == CKP_OK ? sc : NULL;
}

/* ---- bad files: one per class ---------------------------------------------- */

typedef struct bad_case {
    const char *file;   /* under tests/scenarios/bad */
    const char *where;  /* "FILE:LINE:COLUMN:" the message starts with (after the directory) */
    const char *path;   /* key path, "" when the error is about the YAML itself */
    const char *expect; /* what was expected / found */
    ckp_status code;
} bad_case;

static const bad_case bad_cases[] = {
    {"malformed.yaml", "malformed.yaml:7:10:", "regimes", "malformed YAML: did not find expected ',' or ']'", CKP_ERR_CONFIG},
    {"tab_indent.yaml", "tab_indent.yaml:29:1:", "materials[NdPr]",
     "malformed YAML: found character that cannot start any token while scanning for the next "
     "token (a tab: YAML indents with spaces only)", CKP_ERR_CONFIG},
    {"invalid_utf8.yaml", "invalid_utf8.yaml:32:30:", "",
     "expected UTF-8 text, found an invalid byte 0xFF (invalid leading UTF-8 octet)", CKP_ERR_CONFIG},
    {"unknown_key.yaml", "unknown_key.yaml:29:17:", "materials[NdPr].stockpile.dayz",
     "unknown key 'dayz' (did you mean 'days'?); expected one of: days, target_days", CKP_ERR_CONFIG},
    {"wrong_type.yaml", "wrong_type.yaml:25:16:", "materials[NdPr].routes[AU-CN].share",
     "expected a number in [0, 1], found a sequence", CKP_ERR_CONFIG},
    {"not_a_number.yaml", "not_a_number.yaml:25:16:", "materials[NdPr].routes[AU-CN].share",
     "expected a number in [0, 1], found 'abc'", CKP_ERR_CONFIG},
    {"quoted_number.yaml", "quoted_number.yaml:25:16:", "materials[NdPr].routes[AU-CN].share",
     "found the quoted text '0.2'", CKP_ERR_CONFIG},
    {"missing_key.yaml", "missing_key.yaml:35:12:", "materials[Dy].price.base",
     "missing key 'base' (expected a number > 0)", CKP_ERR_CONFIG},
    {"duplicate_name.yaml", "duplicate_name.yaml:31:11:", "materials[1]",
     "duplicate material name 'NdPr' (first at line 20)", CKP_ERR_CONFIG},
    {"duplicate_key.yaml", "duplicate_key.yaml:29:5:", "materials[NdPr].spare", "duplicate key 'spare'", CKP_ERR_CONFIG},
    {"unknown_material_block.yaml", "unknown_material_block.yaml:16:9:",
     "suppliers[CN].block.restricted.Dyy", "unknown material 'Dyy' (did you mean 'Dy'?)", CKP_ERR_CONFIG},
    {"unknown_supplier_route.yaml", "unknown_supplier_route.yaml:24:20:",
     "materials[NdPr].routes[AU-CH].path[1]", "unknown supplier 'CH' (did you mean 'CN'?)", CKP_ERR_CONFIG},
    {"unknown_supplier_spare.yaml", "unknown_supplier_spare.yaml:28:13:", "materials[NdPr].spare.US",
     "unknown supplier 'US'; expected one of: CN, AU, KR", CKP_ERR_CONFIG},
    {"unknown_regime_transition.yaml", "unknown_regime_transition.yaml:13:7:",
     "suppliers[CN].transitions", "unknown regime 'embargo'; expected one of: open, restricted", CKP_ERR_CONFIG},
    {"unknown_regime_initial.yaml", "unknown_regime_initial.yaml:9:14:", "suppliers[CN].initial",
     "unknown regime 'opne' (did you mean 'open'?)", CKP_ERR_CONFIG},
    {"unknown_material_criticality.yaml", "unknown_material_criticality.yaml:42:19:",
     "industries[electronics].criticality.Nd", "unknown material 'Nd'", CKP_ERR_CONFIG},
    {"share_sum.yaml", "share_sum.yaml:22:7:", "materials[NdPr].routes",
     "expected route shares summing to 1 (within 1e-9), found sum 1.0999999999999999", CKP_ERR_CONFIG},
    {"row_sum.yaml", "row_sum.yaml:11:13:", "suppliers[CN].transitions.open",
     "expected probabilities summing to 1 (within 1e-9), found sum 1.1000000000000001", CKP_ERR_CONFIG},
    {"missing_row.yaml", "missing_row.yaml:11:7:", "suppliers[CN].transitions",
     "missing row 'restricted' (expected one row per regime: open, restricted)", CKP_ERR_CONFIG},
    {"probability_range.yaml", "probability_range.yaml:11:14:", "suppliers[CN].transitions.open[0]",
     "expected a number in [0, 1], found 1.1000000000000001", CKP_ERR_CONFIG},
    {"triangular_order.yaml", "triangular_order.yaml:15:15:", "suppliers[CN].block.restricted.NdPr",
     "expected min <= mode <= max, found min 0.6 > mode 0.5", CKP_ERR_CONFIG},
    {"triangular_order2.yaml", "triangular_order2.yaml:15:15:", "suppliers[CN].block.restricted.NdPr",
     "expected min <= mode <= max, found mode 0.95 > max 0.9", CKP_ERR_CONFIG},
    {"corr_asymmetric.yaml", "corr_asymmetric.yaml:44:3:", "supplier_correlation",
     "expected a symmetric matrix, found [AU][CN] = 0.20000000000000001 but [CN][AU] = 0.29999999999999999", CKP_ERR_CONFIG},
    {"corr_not_pd.yaml", "corr_not_pd.yaml:44:3:", "supplier_correlation",
     "expected a positive definite correlation matrix", CKP_ERR_CONFIG},
    {"spectral_radius.yaml", "spectral_radius.yaml:46:3:", "interdependency",
     "expected an interdependency matrix with spectral radius below 1, found 1.1", CKP_ERR_CONFIG},
    {"nan.yaml", "nan.yaml:30:49:", "materials[NdPr].price.elasticity",
     "expected a finite number (a number > 0), found '.nan'", CKP_ERR_CONFIG},
    {"inf.yaml", "inf.yaml:41:13:", "industries[electronics].output",
     "expected a finite number (a number >= 0), found '.inf'", CKP_ERR_CONFIG},
    {"overflow.yaml", "overflow.yaml:41:13:", "industries[electronics].output",
     "expected a finite number (a number >= 0), found '1e999'", CKP_ERR_CONFIG},
    {"underflow.yaml", "underflow.yaml:41:13:", "industries[electronics].output",
     "expected a number >= 0 that a double can hold, found '1e-400', which underflows to 0",
     CKP_ERR_CONFIG},
    {"csv_underflow.yaml", "underflow.csv:3:5:", "interdependency.csv",
     "found '1e-400', which underflows to 0 (row 2, column 2)", CKP_ERR_CONFIG},
    {"tag_str.yaml", "tag_str.yaml:25:16:", "materials[NdPr].routes[AU-CN].share",
     "expected a number in [0, 1], found the quoted text '0.2'", CKP_ERR_CONFIG},
    {"tag_float.yaml", "tag_float.yaml:25:16:", "materials[NdPr].routes[AU-CN].share",
     "expected a value without a YAML tag (or !!str for a text), found the tag !!float",
     CKP_ERR_CONFIG},
    {"version.yaml", "version.yaml:2:10:", "version", "expected version 1, found '2'", CKP_ERR_CONFIG},
    {"horizon_absurd.yaml", "horizon_absurd.yaml:5:17:", "horizon_months",
     "expected an integer in [1, 1200], found '100000'", CKP_ERR_CONFIG},
    {"matrix_shape.yaml", "matrix_shape.yaml:46:11:", "interdependency.matrix",
     "expected 2 rows, found 3", CKP_ERR_CONFIG},
    {"csv_shape.yaml", "three_cols.csv:1:7:", "interdependency.csv",
     "expected 2 columns, found more in row 1", CKP_ERR_CONFIG},
    {"csv_rows.yaml", "three_rows.csv:3:1:", "interdependency.csv", "expected 2 rows, found more", CKP_ERR_CONFIG},
    {"csv_cell.yaml", "bad_cell.csv:3:5:", "interdependency.csv",
     "expected a number, found 'zero' (row 2, column 2)", CKP_ERR_CONFIG},
    {"csv_header.yaml", "wrong_header.csv:1:7:", "interdependency.csv",
     "expected the header name 'electronics' in column 2, found 'chips'", CKP_ERR_CONFIG},
    {"csv_nul.yaml", "nul_byte.csv:3:6:", "interdependency.csv", "expected text, found a NUL byte",
     CKP_ERR_CONFIG},
    {"csv_missing.yaml", "csv_missing.yaml:46:8:", "interdependency.csv",
     "cannot read CSV file", CKP_ERR_IO},
    {"alias.yaml", "alias.yaml:20:14:", "suppliers[US].initial", "found the alias *o (aliases are not supported)", CKP_ERR_CONFIG},
    {"importer_blocks.yaml", "importer_blocks.yaml:19:32:", "suppliers[KR].block.restricted.NdPr",
     "expected 0: 'KR' is the importer (domestic supply), whose regime never blocks, found 0.5", CKP_ERR_CONFIG},
    {"policy_value.yaml", "policy_value.yaml:50:29:",
     "policies[stockpile].changes.materials[NdPr].stockpile.days", "expected a number >= 0, found -5", CKP_ERR_CONFIG},
    {"policy_new_material.yaml", "policy_new_material.yaml:49:11:", "policies[tb].changes.materials[Tb]",
     "a policy cannot add or remove materials", CKP_ERR_CONFIG},
    {"policy_horizon.yaml", "policy_horizon.yaml:48:7:", "policies[longer].changes.horizon_months",
     "a policy cannot change 'horizon_months'", CKP_ERR_CONFIG},
    {"policy_unknown_key.yaml", "policy_unknown_key.yaml:48:7:", "policies[typo].changes.materails",
     "unknown key 'materails' (did you mean 'materials'?)", CKP_ERR_CONFIG},
    {"policy_share_sum.yaml", "policy_share_sum.yaml:22:7:", "policies[more_au].changes.materials[NdPr].routes",
     "expected route shares summing to 1 (within 1e-9), found sum 1.1000000000000001", CKP_ERR_CONFIG},
    {"policy_name_long.yaml", "policy_name_long.yaml:46:11:", "policies[0].name",
     "expected a name of at most 255 bytes, found 256 bytes", CKP_ERR_CONFIG},
    {"material_name_long.yaml", "material_name_long.yaml:20:11:", "materials[0].name",
     "expected a name of at most 255 bytes, found 1000 bytes", CKP_ERR_CONFIG},
    {"policy_baseline.yaml", "policy_baseline.yaml:46:11:", "policies[baseline]",
     "duplicate policy name 'baseline'", CKP_ERR_CONFIG},
    {"empty.yaml", "empty.yaml:1:1:", "", "expected a scenario mapping, found an empty document", CKP_ERR_CONFIG},
    {"top_level_list.yaml", "top_level_list.yaml:2:1:", "", "expected a scenario mapping (version, name, ...), found a sequence", CKP_ERR_CONFIG},
    {"two_documents.yaml", "two_documents.yaml:3:1:", "", "expected one YAML document, found a second one", CKP_ERR_CONFIG},
    {"rule_enum.yaml", "rule_enum.yaml:45:7:", "rule",
     "expected one of independent, bottleneck, linear, found 'botleneck' (did you mean 'bottleneck'?)", CKP_ERR_CONFIG},
    {"seed_negative.yaml", "seed_negative.yaml:6:7:", "seed", "found '-1'", CKP_ERR_CONFIG},
    {"route_empty_path.yaml", "route_empty_path.yaml:26:15:", "materials[NdPr].routes[2].path",
     "expected 1 to 16 countries, found 0", CKP_ERR_CONFIG},
};

static void test_bad_files(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        char rel[256];
        snprintf(rel, sizeof rel, "tests/scenarios/bad/%s", b->file);
        ckp_scenario *sc = (ckp_scenario *)1;
        ckp_error e;
        ckp_status st = ckp_scenario_load_file(src(rel), &sc, &e);
        CHECK(st == b->code, "%s: status %d, expected %d (%s)", b->file, st, b->code,
              st ? e.message : "loaded");
        CHECK(sc == NULL, "%s: *out not NULL on failure", b->file);
        if (st == CKP_OK) {
            ckp_scenario_free(sc);
            continue;
        }
        /* the message starts with the file (with its directory), line, column */
        char prefix[4096 + 64];
        snprintf(prefix, sizeof prefix, "%s", src("tests/scenarios/bad/"));
        strncat(prefix, b->where, sizeof prefix - strlen(prefix) - 1);
        CHECK(strncmp(e.message, prefix, strlen(prefix)) == 0,
              "%s: message does not start with %s: %s", b->file, prefix, e.message);
        CHECK(strcmp(e.path, b->path) == 0, "%s: path '%s', expected '%s'", b->file, e.path, b->path);
        if (b->path[0]) {
            char want[600];
            snprintf(want, sizeof want, "%s %s: ", b->where, b->path);
            CHECK(strstr(e.message, want) != NULL, "%s: no '%s' in: %s", b->file, want, e.message);
        }
        CHECK(strstr(e.message, b->expect) != NULL, "%s: no '%s' in: %s", b->file, b->expect,
              e.message);
    }
}

/* The file a bad case's message names: its `where` up to the first ':' (a CSV
 * file that the YAML file refers to, or the YAML file itself). */
static int where_names(const bad_case *b, const char *file)
{
    size_t n = strcspn(b->where, ":");
    return strlen(file) == n && strncmp(b->where, file, n) == 0;
}

/* Every file of tests/scenarios/bad is a case above, or a file that a case's
 * message names (the CSV files the YAML cases refer to), and every case has
 * its file: a new fixture cannot go untested, nor an entry outlive its file. */
static void test_bad_files_listed(void)
{
    const size_t ncases = sizeof bad_cases / sizeof bad_cases[0];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", src("tests/scenarios/bad"));
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot list %s", dir);
    if (!d)
        return;
    unsigned char found[sizeof bad_cases / sizeof bad_cases[0]] = {0};
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        int listed = 0;
        for (size_t i = 0; i < ncases; i++) {
            if (strcmp(bad_cases[i].file, ent->d_name) == 0)
                found[i] = 1, listed = 1;
            else if (where_names(&bad_cases[i], ent->d_name))
                listed = 1;
        }
        CHECK(listed, "tests/scenarios/bad/%s has no entry in bad_cases (tests/test_scenario.c)",
              ent->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < ncases; i++)
        CHECK(found[i], "bad_cases entry '%s' has no file in tests/scenarios/bad",
              bad_cases[i].file);
}

/* ---- absurd sizes, refused before allocating -------------------------------- */

static void expect_refusal(const char *text, size_t len, const char *expect, ckp_status code)
{
    ckp_scenario *sc = NULL;
    ckp_error e;
    ckp_status st = ckp_scenario_load_string(text, len, "gen.yaml", NULL, &sc, &e);
    CHECK(st == code, "status %d, expected %d: %s", st, code, st ? e.message : "loaded");
    CHECK(st == CKP_OK || strstr(e.message, expect) != NULL, "no '%s' in: %s", expect,
          e.message);
    CHECK(strncmp(e.message, "gen.yaml:", 9) == 0, "no file name in: %s", e.message);
    ckp_scenario_free(sc);
}

/* The dimensions of a scenario (named S0.., r0.., M0.., I0..), nothing else:
 * enough to reach the checks of sizes. Returns the length written. */
static size_t gen_dims(char *buf, size_t cap, int S, int K, int M, int I)
{
    size_t used = (size_t)snprintf(buf, cap, "version: 1\nname: x\nimporter: KR\n"
                                             "horizon_months: 1\nregimes: [");
    for (int i = 0; i < K; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%sr%d", i ? ", " : "", i);
    used += (size_t)snprintf(buf + used, cap - used, "]\nsuppliers:\n");
    for (int i = 0; i < S; i++)
        used += (size_t)snprintf(buf + used, cap - used, "- name: S%d\n", i);
    used += (size_t)snprintf(buf + used, cap - used, "materials:\n");
    for (int i = 0; i < M; i++)
        used += (size_t)snprintf(buf + used, cap - used, "- name: M%d\n", i);
    used += (size_t)snprintf(buf + used, cap - used, "industries:\n");
    for (int i = 0; i < I; i++)
        used += (size_t)snprintf(buf + used, cap - used, "- name: I%d\n", i);
    return used;
}

static void test_absurd_sizes(void)
{
    /* a huge matrix literal: refused while parsing, before it is built */
    size_t n = 4100000, cap = n * 3 + 200, used = 0;
    char *big = malloc(cap);
    used += (size_t)snprintf(big, cap, "version: 1\ninterdependency: {matrix: [[");
    for (size_t i = 0; i < n; i++) {
        memcpy(big + used, "0,", 2);
        used += 2;
    }
    used += (size_t)snprintf(big + used, cap - used, "0]]}\n");
    expect_refusal(big, used, "refusing a document with more than 4000000 values", CKP_ERR_CONFIG);
    free(big);

    /* 1001 suppliers */
    cap = 1001 * 20 + 400;
    big = malloc(cap);
    used = (size_t)snprintf(big, cap, "version: 1\nname: x\nimporter: KR\nhorizon_months: 1\n"
                                      "regimes: [a]\nsuppliers:\n");
    for (int i = 0; i < 1001; i++)
        used += (size_t)snprintf(big + used, cap - used, "- name: S%d\n", i);
    expect_refusal(big, used, "suppliers: refusing 1001 suppliers (limit 1000)", CKP_ERR_CONFIG);
    free(big);

    /* nesting deeper than the parser allows: the message names where */
    char deep[400];
    used = (size_t)snprintf(deep, sizeof deep, "version: ");
    for (int i = 0; i < 100; i++)
        deep[used++] = '[';
    for (int i = 0; i < 100; i++)
        deep[used++] = ']';
    deep[used] = '\0';
    /* the root mapping and 63 sequences are open at the 64th '[' */
    char want[400];
    size_t w = (size_t)snprintf(want, sizeof want, "gen.yaml:1:73: version");
    for (int i = 0; i < 63; i++)
        w += (size_t)snprintf(want + w, sizeof want - w, "[0]");
    snprintf(want + w, sizeof want - w, ": refusing a document nested deeper than 64 levels");
    expect_refusal(deep, used, want, CKP_ERR_CONFIG);

    /* 65 regimes */
    char reg[2000];
    used = (size_t)snprintf(reg, sizeof reg, "version: 1\nname: x\nimporter: KR\nhorizon_months: 1\nregimes: [");
    for (int i = 0; i < 65; i++)
        used += (size_t)snprintf(reg + used, sizeof reg - used, "%sr%d", i ? ", " : "", i);
    used += (size_t)snprintf(reg + used, sizeof reg - used, "]\n");
    expect_refusal(reg, used, "regimes: refusing 65 regimes (limit 64)", CKP_ERR_CONFIG);

    /* the other limits: every one a scenario error (exit status 2), not out of memory */
    cap = 20001 * 24 + 1000;
    big = malloc(cap);
    used = gen_dims(big, cap, 1, 1, 1, 20001);
    expect_refusal(big, used, "industries: refusing 20001 industries (limit 20000)",
                   CKP_ERR_CONFIG);
    used = gen_dims(big, cap, 1, 1, 1, 5001);
    expect_refusal(big, used, "the interdependency matrix would have 25010001 cells",
                   CKP_ERR_CONFIG);
    used = gen_dims(big, cap, 100, 64, 1000, 1);
    expect_refusal(big, used, "= 6400000 block cells (limit 4000000)", CKP_ERR_CONFIG);
    used = gen_dims(big, cap, 1, 1, 1, 1);
    used += (size_t)snprintf(big + used, cap - used, "policies:\n");
    for (int i = 0; i < 256; i++)
        used += (size_t)snprintf(big + used, cap - used, "- name: p%d\n", i);
    expect_refusal(big, used, "policies: refusing 256 policies (limit 255)", CKP_ERR_CONFIG);
    used = (size_t)snprintf(big, cap, "version: 1\nm: {");
    for (int i = 0; i < 20001; i++)
        used += (size_t)snprintf(big + used, cap - used, "%sk%d: 0", i ? ", " : "", i);
    used += (size_t)snprintf(big + used, cap - used, "}\n");
    expect_refusal(big, used, "refusing a mapping with more than 20000 keys", CKP_ERR_CONFIG);
    free(big);

    ckp_scenario *sc = NULL;
    ckp_error e;
    CHECK(ckp_scenario_load_file(src("tests/scenarios/no-such-file.yaml"), &sc, &e) == CKP_ERR_IO,
          "missing file: %s", e.message);
}

/* ---- many keys: duplicate keys found in linear time -------------------------- */

/* 60 mappings of 20000 keys each (the most one mapping may hold, 13.7 MB of
 * text): with a duplicate check that compares every key with every earlier
 * one this takes minutes (1.2e10 comparisons), far beyond the test's timeout;
 * with a hash it takes a second. The document parses, then is refused for
 * its first unknown key. A duplicate after 19999 keys is still found. */
static void test_many_keys(void)
{
    const int maps = 60, keys = 20000;
    size_t cap = (size_t)maps * keys * 12 + 1000, used = 0;
    char *big = malloc(cap);
    CHECK(big != NULL, "malloc");
    if (!big)
        return;
    used += (size_t)snprintf(big, cap, "version: 1\n");
    for (int m = 0; m < maps; m++) {
        used += (size_t)snprintf(big + used, cap - used, "m%d: {", m);
        for (int k = 0; k < keys; k++)
            used += (size_t)snprintf(big + used, cap - used, "%sk%d: 0", k ? ", " : "", k);
        used += (size_t)snprintf(big + used, cap - used, "}\n");
    }
    expect_refusal(big, used, "gen.yaml:2:1: m0: unknown key 'm0'", CKP_ERR_CONFIG);

    /* one mapping whose last key repeats the first */
    used = (size_t)snprintf(big, cap, "version: 1\nm: {");
    for (int k = 0; k < keys - 1; k++)
        used += (size_t)snprintf(big + used, cap - used, "k%d: 0, ", k);
    used += (size_t)snprintf(big + used, cap - used, "k0: 1}\n");
    expect_refusal(big, used, "gen.yaml:2:", CKP_ERR_CONFIG);
    expect_refusal(big, used, "m.k0: duplicate key 'k0' in one mapping", CKP_ERR_CONFIG);
    free(big);
}

/* ---- good files ------------------------------------------------------------- */

static void test_minimal(void)
{
    ckp_scenario *sc = load_ok("configs/examples/minimal.yaml");
    if (!sc)
        return;
    const ckp_model *m = &sc->models[0];
    CHECK(sc->S == 2 && sc->K == 2 && sc->M == 1 && sc->I == 1 && sc->T == 12, "dims");
    CHECK(sc->npolicies == 1 && strcmp(sc->policy_names[0], "baseline") == 0, "policies");
    CHECK(strcmp(sc->name, "minimal") == 0 && strcmp(sc->importer, "KR") == 0, "names");
    CHECK(strcmp(sc->currency, "USD") == 0 && sc->paths == 10000 && sc->seed == 1 &&
              sc->antithetic == 0, "defaults");
    CHECK(m->importer == -1, "KR is not a supplier here: %d", m->importer);
    CHECK(m->nroutes == 2 && m->route_off[0] == 0 && m->route_off[1] == 2, "routes");
    CHECK(m->route_share[0] == 0.8 && m->route_share[1] == 0.2, "shares %g %g", m->route_share[0],
          m->route_share[1]);
    /* [AU, CN]: exp = {AU, CN} in path order (AU = 1, CN = 0) */
    CHECK(m->route_exp_off[1] - m->route_exp_off[0] == 1 && m->route_exp[m->route_exp_off[0]] == 0,
          "exp of [CN]");
    CHECK(m->route_exp_off[2] - m->route_exp_off[1] == 2 && m->route_exp[m->route_exp_off[1]] == 1 &&
              m->route_exp[m->route_exp_off[1] + 1] == 0, "exp of [AU, CN]");
    /* P[(s*K + k)*K + j] */
    CHECK(m->P[0] == 0.95 && m->P[1] == 0.05 && m->P[2] == 0.2 && m->P[3] == 0.8, "CN rows");
    CHECK(m->P[4] == 1.0 && m->P[5] == 0.0 && m->P[6] == 1.0 && m->P[7] == 0.0, "AU rows");
    CHECK(m->init[0] == 1.0 && m->init[1] == 0.0, "initial");
    /* block[(s*K + k)*M + m]: CN restricted NdPr triangular, open 0 */
    CHECK(m->block_min[1] == 0.3 && m->block_mode[1] == 0.5 && m->block_max[1] == 0.9, "block");
    CHECK(m->block_max[0] == 0.0 && m->block_max[2] == 0.0 && m->block_max[3] == 0.0, "no block");
    CHECK(m->spare[0] == 0.0 && m->spare[1] == 0.1, "spare");
    CHECK(m->tau_up[0] == 6 && m->tau_down[0] == 3, "ramp");
    /* days -> months of demand, 30.4375 days per month */
    CHECK(m->stock0[0] == 52 / 30.4375 && m->target[0] == 100 / 30.4375, "stock %.17g %.17g",
          m->stock0[0], m->target[0]);
    CHECK(m->max_release[0] == 0.5 && m->trigger[0] == 0 && m->refill[0] == 0.1, "stock flows");
    CHECK(m->p0[0] == 56 && m->volume[0] == 1000 && m->eta[0] == 0.3 && m->cap[0] == 20 &&
              m->price_floor[0] == 0 && m->phi[0] == 0 && m->sigma[0] == 0 && m->lambda[0] == 0,
          "price");
    CHECK(m->C[0] == 0.3 && m->X[0] == 1e11 && m->Kres[0] == 1.0 && m->Astar[0] == 0.0, "industry");
    CHECK(m->corr_identity && m->corr[0] == 1 && m->corr[1] == 0 && m->price_corr_identity, "corr");
    CHECK(m->rule == CKP_RULE_INDEPENDENT && m->propagation == CKP_PROP_STATIC &&
              m->shortfall_threshold == 0.01 && !m->has_cost, "settings");
    ckp_scenario_free(sc);
}

static void test_base_and_exposure(void)
{
    ckp_scenario *sc = load_ok("tests/scenarios/good/base.yaml");
    if (!sc)
        return;
    const ckp_model *m = &sc->models[0];
    CHECK(m->importer == 2, "importer index %d", m->importer);
    /* [KR]: domestic, exp(r) empty although KR is a supplier */
    CHECK(m->route_exp_off[3] == m->route_exp_off[2], "exp of [KR] not empty");
    CHECK(m->stock0[0] == 2.0 && m->target[0] == 2.0, "60.875 days = 2 months: %.17g",
          m->stock0[0]);
    CHECK(m->max_release[1] == 1.0 && m->stock0[1] == 0.0, "stockpile defaults");
    CHECK(m->corr[1] == 0.3 && m->corr[3] == 0.3 && !m->corr_identity, "corr");
    CHECK(m->Astar[1] == 0.1 && m->Astar[2] == 0.2, "A*");
    /* AU never moves: identity transitions, first regime */
    CHECK(m->P[4] == 1 && m->P[5] == 0 && m->P[6] == 0 && m->P[7] == 1 && m->init[2] == 1, "AU");
    /* CN restricted: Dy fixed at 0.8 */
    CHECK(m->block_min[3] == 0.8 && m->block_mode[3] == 0.8 && m->block_max[3] == 0.8, "Dy");
    double ex[3 * 2];
    ckp_scenario_exposure(sc, 0, ex);
    /* autos: C[NdPr]=0.3 over CN routes 0.7 + 0.2, C[Dy]=0.2 over 1.0 */
    CHECK(fabs(ex[0] - (0.3 * (0.7 + 0.2) + 0.2 * 1.0)) < 1e-15, "CN autos %.17g", ex[0]);
    CHECK(fabs(ex[1] - 0.1 * 0.9) < 1e-15, "CN electronics %.17g", ex[1]);
    CHECK(fabs(ex[2] - 0.3 * 0.2) < 1e-15 && fabs(ex[3] - 0.1 * 0.2) < 1e-15, "AU");
    CHECK(ex[4] == 0 && ex[5] == 0, "domestic supply exposes nobody");
    CHECK(ckp_scenario_policy_index(sc, "baseline") == 0 &&
              ckp_scenario_policy_index(sc, "nope") == -1, "policy_index");
    ckp_scenario_free(sc);
}

static char *replace(const char *text, const char *old, const char *new_)
{
    const char *at = strstr(text, old);
    if (!at)
        return NULL;
    size_t a = (size_t)(at - text), lo = strlen(old), ln = strlen(new_), lt = strlen(text);
    char *out = malloc(lt - lo + ln + 1);
    memcpy(out, text, a);
    memcpy(out + a, new_, ln);
    memcpy(out + a + ln, at + lo, lt - a - lo + 1);
    return out;
}

static char *slurp(const char *rel)
{
    FILE *f = fopen(src(rel), "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc((size_t)n + 1);
    size_t got = fread(t, 1, (size_t)n, f);
    t[got] = '\0';
    fclose(f);
    return t;
}

static void test_normalisation(void)
{
    char *base = slurp("tests/scenarios/good/base.yaml");
    CHECK(base != NULL, "base.yaml");
    if (!base)
        return;
    /* within 1e-9 of 1: accepted, then divided by the left-to-right sum */
    char *t1 = replace(base, "share: 0.1\n", "share: 0.1000000005\n");
    char *t2 = replace(t1, "open: [0.9, 0.1]", "open: [0.9, 0.0999999996]");
    ckp_scenario *sc = NULL;
    ckp_error e;
    ckp_status st = ckp_scenario_load_string(t2, strlen(t2), "norm.yaml", NULL, &sc, &e);
    CHECK(st == CKP_OK, "%s", e.message);
    if (sc) {
        double sum = 0.7 + 0.2;
        sum += 0.1000000005;
        const ckp_model *m = &sc->models[0];
        CHECK(m->route_share[0] == 0.7 / sum && m->route_share[1] == 0.2 / sum &&
                  m->route_share[2] == 0.1000000005 / sum, "shares");
        CHECK(m->route_share[0] != 0.7, "not divided");
        double rs = 0.9 + 0.0999999996;
        CHECK(m->P[0] == 0.9 / rs && m->P[1] == 0.0999999996 / rs, "row");
    }
    ckp_scenario_free(sc);
    /* just outside: refused */
    char *t3 = replace(base, "share: 0.1\n", "share: 0.100000002\n");
    sc = NULL;
    st = ckp_scenario_load_string(t3, strlen(t3), "norm.yaml", NULL, &sc, &e);
    CHECK(st == CKP_ERR_CONFIG && strstr(e.message, "norm.yaml:22:7: materials[NdPr].routes: "
                                                    "expected route shares summing to 1"),
          "%s", e.message);
    free(base);
    free(t1);
    free(t2);
    free(t3);
}

static void test_rich_policies(void)
{
    ckp_scenario *sc = load_ok("tests/scenarios/good/rich.yaml");
    if (!sc)
        return;
    CHECK(sc->npolicies == 4, "policies %d", sc->npolicies);
    CHECK(sc->seed == UINT64_MAX && sc->paths == 500 && sc->antithetic == 1, "run settings");
    CHECK(strcmp(sc->currency, "EUR") == 0 && sc->description &&
              strcmp(sc->description, "every feature at once") == 0, "texts");
    int ps = ckp_scenario_policy_index(sc, "stockpile"), pd = ckp_scenario_policy_index(sc, "domestic"),
        pt = ckp_scenario_policy_index(sc, "detente");
    CHECK(ps == 1 && pd == 2 && pt == 3, "indices");
    const ckp_model *b = &sc->models[0], *s = &sc->models[ps], *d = &sc->models[pd],
                    *t = &sc->models[pt];
    CHECK(b->shortfall_threshold == 0.05 && b->rule == CKP_RULE_BOTTLENECK &&
              b->propagation == CKP_PROP_DYNAMIC, "base settings");
    /* base: CN initial {open: .5, licensing: .5}, mapping row */
    CHECK(b->init[0] == 0.5 && b->init[1] == 0.5 && b->init[2] == 0, "init");
    CHECK(b->P[0] == 0.9 && b->P[1] == 0.1 && b->P[2] == 0, "mapping row");
    CHECK(b->stock0[0] == 1.0 && b->target[0] == 3.0 && b->max_release[0] == 0.25 &&
              b->trigger[0] == 0.02 && b->refill[0] == 0.05, "stockpile");
    CHECK(b->price_floor[0] == 1.2 && b->phi[0] == 0.8 && b->sigma[0] == 0.1 &&
              b->lambda[0] == 0.02 && b->muJ[0] == 0.3 && b->sigmaJ[0] == 0.1, "price");
    CHECK(b->price_corr[1] == 0.25 && b->price_corr[2] == 0.25 && !b->price_corr_identity, "csv corr");
    CHECK(b->Kres[0] == 0.5 && b->Kres[1] == 0.8, "resilience");
    /* [AU, CN, KR]: exp = {AU, CN}, the importer left out */
    int r2 = b->route_off[0] + 2;
    CHECK(b->route_exp_off[r2 + 1] - b->route_exp_off[r2] == 2, "exp size");
    /* A*[i][j] = kappa * Z[j][i] / x[i] = kappa * A[j][i], with A = Z / x the technical
     * coefficients of Miller & Blair (2009), chapter 2: [[0.15, 0.25], [0.2, 0.05]]. */
    const double A[4] = {0.15, 0.25, 0.2, 0.05};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            CHECK(fabs(b->Astar[i * 2 + j] - 0.5 * A[j * 2 + i]) < 1e-15, "A*[%d][%d]", i, j);
            CHECK(fabs(d->Astar[i * 2 + j] - 0.25 * A[j * 2 + i]) < 1e-15, "policy A*[%d][%d]", i, j);
        }
    /* stockpile: only days changed; target stays */
    CHECK(s->stock0[0] == 2.0 && s->target[0] == 3.0 && s->has_cost && s->annual_cost == 2.5e6,
          "stockpile policy");
    CHECK(!b->has_cost && !d->has_cost, "costs");
    CHECK(memcmp(s->P, b->P, sizeof(double) * 4 * 9) == 0 && s->nroutes == b->nroutes, "unchanged");
    /* domestic: CN share 0.5, a new [KR] route appended, spare KR */
    CHECK(d->nroutes == b->nroutes + 1 && d->route_off[1] == 4, "new route %d", d->nroutes);
    CHECK(d->route_share[0] == 0.5 && d->route_share[1] == 0.3 && d->route_share[3] == 0.1, "shares");
    CHECK(d->route_exp_off[4] == d->route_exp_off[3], "[KR] exp empty");
    CHECK(d->spare[3 * 2 + 0] == 0.02 && b->spare[3 * 2 + 0] == 0.0, "spare KR");
    /* detente: CN starts open, open row replaced, correlation, settings */
    CHECK(t->init[0] == 1 && t->init[1] == 0, "detente init");
    CHECK(t->P[0] == 0.95 / (0.95 + 0.05) && t->P[1] == 0.05 / (0.95 + 0.05) && t->P[3] == 0.2 / (0.2 + 0.7 + 0.1), "detente rows");
    CHECK(t->corr[1] == 0.5 && !t->corr_identity && b->corr_identity, "detente corr");
    CHECK(t->propagation == CKP_PROP_STATIC && t->rule == CKP_RULE_LINEAR, "detente settings");
    CHECK(strcmp(sc->policy_diffs[0], "") == 0, "baseline diff");
    CHECK(strcmp(sc->policy_diffs[ps], "materials[NdPr].stockpile.days: 30.4375 -> 60.875") == 0,
          "diff: %s", sc->policy_diffs[ps]);
    CHECK(strstr(sc->policy_diffs[pd], "materials[NdPr].routes[KR]: (absent) -> {path: [KR], share: 0.1}") &&
              strstr(sc->policy_diffs[pd], "interdependency.io_table.kappa: 0.5 -> 0.25"),
          "diff: %s", sc->policy_diffs[pd]);
    CHECK(strstr(sc->policy_diffs[pt], "rule: bottleneck -> linear"), "diff: %s", sc->policy_diffs[pt]);
    ckp_scenario_free(sc);
}

/* ---- files over the size limit: refused from their size ---------------------- */

static long peak_rss_kib(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

/* Sparse files (ftruncate: nothing is written) one byte over the 256 MiB limit
 * and at 600 MiB, as a CSV table and as the scenario itself: each refused as a
 * scenario error without being read, so the peak memory of the process does
 * not grow by their size. Runs first, while the peak is still small. */
static void test_file_limits(void)
{
    char dir[] = "/tmp/ckp-test-scenario-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char csv[64], yaml[64];
    snprintf(csv, sizeof csv, "%s/big.csv", dir);
    snprintf(yaml, sizeof yaml, "%s/big.yaml", dir);
    char *base = slurp("tests/scenarios/bad/csv_cell.yaml");
    char line[96];
    snprintf(line, sizeof line, "csv: %s", csv);
    char *text = base ? replace(base, "csv: bad_cell.csv", line) : NULL;
    CHECK(text != NULL, "csv_cell.yaml");
    long before = peak_rss_kib();
    const off_t sizes[] = {((off_t)256 << 20) + 1, (off_t)600 << 20};
    for (int i = 0; i < 2 && text; i++) {
        int fd = open(csv, O_CREAT | O_TRUNC | O_WRONLY, 0600);
        CHECK(fd >= 0 && ftruncate(fd, sizes[i]) == 0, "sparse %s", csv);
        close(fd);
        ckp_scenario *sc = NULL;
        ckp_error e;
        ckp_status st = ckp_scenario_load_string(text, strlen(text), "big.yaml", NULL, &sc, &e);
        CHECK(st == CKP_ERR_CONFIG && strstr(e.message, "interdependency.csv: refusing CSV file") &&
                  strstr(e.message, "larger than 268435456 bytes"),
              "CSV of %lld bytes: %s", (long long)sizes[i], st ? e.message : "loaded");
        ckp_scenario_free(sc);
        CHECK(rename(csv, yaml) == 0, "rename");
        sc = NULL;
        st = ckp_scenario_load_file(yaml, &sc, &e);
        CHECK(st == CKP_ERR_CONFIG && strstr(e.message, "refusing a scenario file larger than "
                                                        "268435456 bytes"),
              "scenario of %lld bytes: %s", (long long)sizes[i], st ? e.message : "loaded");
        ckp_scenario_free(sc);
        unlink(yaml);
    }
    long grew = peak_rss_kib() - before;
    CHECK(grew < 64 * 1024, "the peak memory grew by %ld KiB: a file over the limit was read",
          grew);
    rmdir(dir);
    free(text);
    free(base);
}

/* ---- to_yaml round trip ------------------------------------------------------ */

#define SAME(f, n) (memcmp(a->f, b->f, sizeof *a->f * (size_t)(n)) == 0)

static int models_identical(const ckp_model *a, const ckp_model *b)
{
    if (a->S != b->S || a->K != b->K || a->M != b->M || a->I != b->I || a->T != b->T ||
        a->importer != b->importer || a->nroutes != b->nroutes)
        return 0;
    int S = a->S, K = a->K, M = a->M, I = a->I, R = a->nroutes;
    return SAME(route_off, M + 1) && SAME(route_share, R) && SAME(route_exp_off, R + 1) &&
           SAME(route_exp, a->route_exp_off[R]) && SAME(P, S * K * K) && SAME(init, S * K) &&
           SAME(corr, S * S) && a->corr_identity == b->corr_identity &&
           SAME(block_min, S * K * M) && SAME(block_mode, S * K * M) &&
           SAME(block_max, S * K * M) && SAME(spare, S * M) && SAME(tau_up, M) &&
           SAME(tau_down, M) && SAME(stock0, M) && SAME(target, M) && SAME(max_release, M) &&
           SAME(trigger, M) && SAME(refill, M) && SAME(p0, M) && SAME(volume, M) &&
           SAME(eta, M) && SAME(cap, M) && SAME(price_floor, M) && SAME(phi, M) &&
           SAME(sigma, M) && SAME(lambda, M) && SAME(muJ, M) && SAME(sigmaJ, M) &&
           SAME(price_corr, M * M) && a->price_corr_identity == b->price_corr_identity &&
           SAME(C, M * I) && a->rule == b->rule && a->propagation == b->propagation &&
           SAME(Astar, I * I) && SAME(Kres, I) && SAME(X, I) &&
           memcmp(&a->shortfall_threshold, &b->shortfall_threshold, sizeof(double)) == 0 &&
           a->has_cost == b->has_cost && a->annual_cost == b->annual_cost;
}

static void round_trip(ckp_scenario *sc, const char *what)
{
    if (!sc)
        return;
    char *y = NULL;
    ckp_error e;
    CHECK(ckp_scenario_to_yaml(sc, &y, &e) == CKP_OK && y, "%s: to_yaml: %s", what, e.message);
    if (!y)
        return;
    ckp_scenario *back = NULL;
    /* no base directory: the text must stand alone */
    ckp_status st = ckp_scenario_load_string(y, strlen(y), "round-trip.yaml", "/nonexistent", &back, &e);
    CHECK(st == CKP_OK, "%s: reload: %s", what, e.message);
    if (back) {
        CHECK(back->npolicies == sc->npolicies && back->seed == sc->seed &&
                  back->paths == sc->paths && back->antithetic == sc->antithetic &&
                  back->T == sc->T, "%s: settings", what);
        for (int p = 0; p < sc->npolicies && p < back->npolicies; p++) {
            CHECK(strcmp(back->policy_names[p], sc->policy_names[p]) == 0, "%s: name %d", what, p);
            CHECK(models_identical(&sc->models[p], &back->models[p]), "%s: model %d differs",
                  what, p);
        }
        for (int s = 0; s < sc->S; s++)
            CHECK(strcmp(back->suppliers[s], sc->suppliers[s]) == 0, "%s: supplier %d", what, s);
        /* and writing again gives the same text */
        char *y2 = NULL;
        CHECK(ckp_scenario_to_yaml(back, &y2, &e) == CKP_OK && y2 && strcmp(y, y2) == 0,
              "%s: second to_yaml differs", what);
        free(y2);
    }
    ckp_scenario_free(back);
    free(y);
}

static void test_round_trip(void)
{
    ckp_scenario *sc = load_ok("configs/examples/minimal.yaml");
    round_trip(sc, "minimal");
    ckp_scenario_free(sc);
    sc = load_ok("tests/scenarios/good/base.yaml");
    round_trip(sc, "base");
    ckp_scenario_free(sc);
    sc = load_ok("tests/scenarios/good/rich.yaml");
    round_trip(sc, "rich");
    ckp_scenario_free(sc);
    sc = NULL;
    ckp_error e;
    CHECK(ckp_scenario_load_default(&sc, &e) == CKP_OK, "default: %s", e.message);
    round_trip(sc, "default");
    ckp_scenario_free(sc);
}

/* !!str makes a text of what would be a number and !!seq on a sequence is
 * accepted; !!float is refused; a subnormal number and zeros are kept. */
static void test_tags_and_small_numbers(void)
{
    char *base = slurp("tests/scenarios/good/base.yaml");
    char *t1 = base ? replace(base, "name: base\n", "name: !!str 2024\n") : NULL;
    char *t2 = t1 ? replace(t1, "share: 0.1\n", "share: !!float 0.1\n") : NULL;
    CHECK(t2 != NULL, "base.yaml");
    if (!t2) {
        free(t1);
        free(base);
        return;
    }
    char *t3 = replace(t1, "regimes: [", "regimes: !!seq [");
    ckp_scenario *sc = NULL;
    ckp_error e;
    ckp_status st = t3 ? ckp_scenario_load_string(t3, strlen(t3), "tags.yaml", NULL, &sc, &e)
                       : CKP_ERR_IO;
    CHECK(st == CKP_OK && sc && strcmp(sc->name, "2024") == 0, "!!str name: %s",
          st ? e.message : sc->name);
    ckp_scenario_free(sc);
    sc = NULL;
    st = ckp_scenario_load_string(t2, strlen(t2), "tags.yaml", NULL, &sc, &e);
    CHECK(st == CKP_ERR_CONFIG && strstr(e.message, "found the tag !!float"), "!!float: %s",
          st ? e.message : "loaded");
    ckp_scenario_free(sc);
    double v = 1;
    CHECK(ckp_val_parse_num("4.9e-324", &v) == 0 && v > 0, "subnormal: %g", v);
    CHECK(ckp_val_parse_num("0e-400", &v) == 0 && v == 0, "zero");
    CHECK(ckp_val_parse_num("-0.000e-999", &v) == 0 && v == 0, "negative zero");
    CHECK(ckp_val_parse_num("1e-400", &v) == 3 && ckp_val_parse_num("-2.5e-330", &v) == 3,
          "underflow");
    free(t3);
    free(t2);
    free(t1);
    free(base);
}

/* Names of 255 bytes, the most allowed, load (and reload from to_yaml). */
static void test_long_names(void)
{
    char *base = slurp("tests/scenarios/bad/policy_name_long.yaml");
    char name[257];
    memset(name, 'p', 256);
    name[256] = '\0';
    char *text = base ? replace(base, name, name + 1) : NULL;
    CHECK(text != NULL, "policy_name_long.yaml");
    ckp_scenario *sc = NULL;
    ckp_error e;
    ckp_status st = text ? ckp_scenario_load_string(text, strlen(text), "long.yaml", NULL, &sc, &e)
                         : CKP_ERR_IO;
    CHECK(st == CKP_OK, "a policy name of 255 bytes: %s", e.message);
    if (sc) {
        CHECK(sc->npolicies == 2 && strcmp(sc->policy_names[1], name + 1) == 0, "policy name");
        round_trip(sc, "long names");
    }
    ckp_scenario_free(sc);
    free(text);
    free(base);
}

static void test_default(void)
{
    size_t len = 0;
    const char *text = ckp_default_scenario_text(&len);
    CHECK(text && len > 100 && strlen(text) == len, "default text");
    char *file = slurp("configs/korea-rare-earths.yaml");
    CHECK(file && strcmp(file, text) == 0, "the built-in default is configs/korea-rare-earths.yaml");
    free(file);
    ckp_scenario *sc = NULL;
    ckp_error e;
    CHECK(ckp_scenario_load_default(&sc, &e) == CKP_OK, "%s", e.message);
    if (sc) {
        CHECK(strcmp(sc->source_name, "<built-in>") == 0, "source name");
        CHECK(strcmp(sc->source_text, text) == 0, "source text");
        CHECK(strcmp(sc->importer, "KR") == 0, "importer");
    }
    ckp_scenario_free(sc);
    ckp_scenario_free(NULL);
}

/* A self-contained load opens no file: rich.yaml names CSV files, refused at
 * the key that names the first one; its resolved YAML (every matrix inline)
 * loads the same way. */
static void test_inline(void)
{
    char *rich = slurp("tests/scenarios/good/rich.yaml");
    ckp_scenario *sc = NULL;
    ckp_error err;
    CHECK(rich != NULL, "rich.yaml readable");
    if (!rich)
        return;
    ckp_status st = ckp_scenario_load_inline(rich, strlen(rich), "rich", &sc, &err);
    CHECK(st == CKP_ERR_CONFIG && sc == NULL && strstr(err.message, "self-contained") &&
              strstr(err.message, "rich:59:"),
          "inline load refuses the CSV reference at its line: %s", err.message);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", src("tests/scenarios/good"));
    st = ckp_scenario_load_string(rich, strlen(rich), "rich", dir, &sc, &err);
    CHECK(st == CKP_OK, "rich.yaml loads with its folder: %s", err.message);
    char *yaml = NULL;
    if (st == CKP_OK && ckp_scenario_to_yaml(sc, &yaml, &err) == CKP_OK) {
        ckp_scenario *back = NULL;
        CHECK(ckp_scenario_load_inline(yaml, strlen(yaml), "resolved", &back, &err) == CKP_OK,
              "the resolved text loads self-contained: %s", err.message);
        ckp_scenario_free(back);
    }
    free(yaml);
    ckp_scenario_free(sc);
    free(rich);
}

int main(void)
{
    test_inline();
    test_file_limits();
    test_bad_files();
    test_bad_files_listed();
    test_absurd_sizes();
    test_many_keys();
    test_minimal();
    test_base_and_exposure();
    test_normalisation();
    test_rich_policies();
    test_round_trip();
    test_long_names();
    test_tags_and_small_numbers();
    test_default();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("all scenario checks passed\n");
    return failures ? 1 : 0;
}
