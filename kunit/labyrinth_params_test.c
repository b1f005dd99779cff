// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: validation of the nr_pages and max_pages module parameters, as
 * insmod and the kernel command line pass them.
 */

#include <kunit/test.h>
#include "../labyrinth_internal.h"

#define RAM_PAGES	262144UL	/* a 1 GiB machine */

struct param_case {
	const char *text;
	int err;
	unsigned int pages;
};

static const struct param_case param_cases[] = {
	{ "1024", 0, 1024 },
	{ "1", 0, 1 },
	{ "0x100", -EINVAL },
	{ "0100", 0, 100 },	/* decimal, never octal */
	{ "262144", 0, 262144 },
	{ "0", -EINVAL },
	{ "-1", -EINVAL },
	{ "-4096", -EINVAL },
	{ "abc", -EINVAL },
	{ "12abc", -EINVAL },
	{ "", -EINVAL },
	{ " 5", -EINVAL },
	{ "262145", -ENOMEM },
	{ "99999999999999999999", -ENOMEM },	/* overflows: too large */
	{ "4294967297", -ENOMEM },
};

static void param_case_desc(const struct param_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "nr_pages='%s'", c->text);
}

KUNIT_ARRAY_PARAM(param, param_cases, param_case_desc);

static void test_parse_nr_pages(struct kunit *test)
{
	const struct param_case *c = test->param_value;
	unsigned int pages = 7;
	char why[80] = "";
	int err;

	err = labyrinth_parse_pages(c->text, 1, RAM_PAGES, &pages, why, sizeof(why));
	KUNIT_EXPECT_EQ(test, err, c->err);
	if (c->err) {
		KUNIT_EXPECT_EQ(test, pages, 7);	/* untouched on error */
		KUNIT_EXPECT_GT(test, strlen(why), 0);
	} else {
		KUNIT_EXPECT_EQ(test, pages, c->pages);
	}
}

/* The limit is the machine's RAM as given, not a fixed constant. */
static void test_parse_scales_with_ram(struct kunit *test)
{
	unsigned int pages;
	char why[80];

	KUNIT_EXPECT_EQ(test, -ENOMEM, labyrinth_parse_pages("1024", 1, 1023, &pages, why,
							     sizeof(why)));
	KUNIT_EXPECT_EQ(test, 0, labyrinth_parse_pages("1024", 1, 1024, &pages, why,
						       sizeof(why)));
	KUNIT_EXPECT_EQ(test, -ENOMEM,
			labyrinth_parse_pages("67108865", 1, ULONG_MAX, &pages, why,
					      sizeof(why)));
}

/* max_pages takes 0 for "no growth"; the same text is refused for nr_pages. */
static void test_parse_zero_allowed_for_cap(struct kunit *test)
{
	unsigned int pages = 7;
	char why[80];

	KUNIT_EXPECT_EQ(test, 0, labyrinth_parse_pages("0", 0, RAM_PAGES, &pages, why,
						       sizeof(why)));
	KUNIT_EXPECT_EQ(test, pages, 0);
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_parse_pages("-1", 0, RAM_PAGES, &pages, why,
							     sizeof(why)));
	KUNIT_EXPECT_EQ(test, -EINVAL, labyrinth_parse_pages("0", 1, RAM_PAGES, &pages, why,
							     sizeof(why)));
}

static struct kunit_case labyrinth_params_cases[] = {
	KUNIT_CASE_PARAM(test_parse_nr_pages, param_gen_params),
	KUNIT_CASE(test_parse_scales_with_ram),
	KUNIT_CASE(test_parse_zero_allowed_for_cap),
	{}
};

static struct kunit_suite labyrinth_params_suite = {
	.name = "labyrinth_params",
	.test_cases = labyrinth_params_cases,
};

kunit_test_suite(labyrinth_params_suite);
