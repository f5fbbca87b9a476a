// The tour's server lessons (L4-L11).
#pragma once

#include <vector>

#include "lessons.hpp"

namespace tour {
std::vector<Lesson> server_lessons();
}
