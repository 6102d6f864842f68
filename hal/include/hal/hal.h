/* The whole HAL contract in one include. Each header documents who may
 * call each function and from which context. */
#ifndef HAL_HAL_H
#define HAL_HAL_H

#include "hal/aspace.h"
#include "hal/console.h"
#include "hal/context.h"
#include "hal/cpu.h"
#include "hal/entropy.h"
#include "hal/irq.h"
#include "hal/irqline.h"
#include "hal/panic.h"
#include "hal/timer.h"
#include "hal/timestamp.h"
#include "hal/user.h"
#include "hal/usercopy.h"

#endif
