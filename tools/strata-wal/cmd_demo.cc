// placeholder
#include "commands.h"
namespace strata_wal { int run_demo(const DemoArgs&) { return 2; } }
