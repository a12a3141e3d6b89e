/* SPDX-License-Identifier: GPL-2.0 */
#include <linux/percpu.h>
#include "../../../../../include/linux/potad.h"
