#include "item.h"

long long total_value(const Item& item) { return item.quantity * item.price_cents; }
