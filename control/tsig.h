/* control/tsig.h - moved to common/tsig.h (kept while branches merge). */
#include "common/tsig.h"
