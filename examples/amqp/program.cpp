// One tutorial's program: FERN_TUTORIAL names the function in tutorials.hpp that describes it (the
// build makes amqp_hello_world, amqp_work_queues, ... from this file).
#include "tutorials.hpp"

int main(int argc, char** argv) { return tutorial::program_main(tutorial::FERN_TUTORIAL(), argc, argv); }
