#!/usr/bin/env python3
"""Make drivers/gpio/gpio-sim.c (Linux 6.1) build without the interrupt simulator.

Debian's kernel does not set CONFIG_GPIO_SIM, and builds without CONFIG_IRQ_SIM, so the one symbol
gpio-sim needs from it, devm_irq_domain_create_sim, is missing (modpost: undefined). The status lights
only drive outputs, so the virtual board needs no GPIO interrupts: this removes every use of the
simulated IRQ domain and leaves the rest of the driver (configfs, line names, sim_gpioN/value) as is.

Each edit must match exactly once; when Debian's source moves on and one does not, this stops and
says which, rather than building a half-patched driver.

usage: gpio-sim-no-irq.py gpio-sim.c   (edits the file in place)
"""
import sys

EDITS = [
    ("the irq_sim header",
     "#include <linux/irq_sim.h>\n",
     "/* qrpos virtual board: built without irq_sim (CONFIG_IRQ_SIM is off in Debian's kernel). */\n"),
    # An input line changing its pull would raise the line's simulated interrupt: there is none.
    ("the interrupt raised on a pull change",
     "irq = irq_find_mapping(chip->irq_sim, offset);",
     "irq = 0; /* qrpos: no simulated interrupts */"),
    # gpiod_to_irq() then fails with -ENXIO, as on a chip without interrupts.
    ("the to_irq callback",
     "\tstruct gpio_sim_chip *chip = gpiochip_get_data(gc);\n\n\treturn irq_create_mapping(chip->irq_sim, offset);",
     "\treturn -ENXIO; /* qrpos: no simulated interrupts */"),
    # Left in, a NULL domain would make irq_find_mapping() search the default (x86 vector) domain
    # and dispose of real interrupts when the chip goes away.
    ("the mapping clean-up",
     "static void gpio_sim_dispose_mappings(void *data)\n{\n\tstruct gpio_sim_chip *chip = data;\n\tunsigned int i;\n\n"
     "\tfor (i = 0; i < chip->gc.ngpio; i++)\n\t\tirq_dispose_mapping(irq_find_mapping(chip->irq_sim, i));\n}\n\n",
     ""),
    ("the mapping clean-up registration",
     "\n\tret = devm_add_action_or_reset(dev, gpio_sim_dispose_mappings, chip);\n\tif (ret)\n\t\treturn ret;\n",
     ""),
    ("the interrupt domain",
     "\tchip->irq_sim = devm_irq_domain_create_sim(dev, swnode, num_lines);\n"
     "\tif (IS_ERR(chip->irq_sim))\n\t\treturn PTR_ERR(chip->irq_sim);\n",
     "\tchip->irq_sim = NULL; /* qrpos: no irq_sim */\n"),
]


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if "qrpos virtual board" in text:
        return 0
    for what, old, new in EDITS:
        count = text.count(old)
        if count != 1:
            print(f"gpio-sim-no-irq: {path}: {what}: expected the text once, found it {count} times; "
                  f"the kernel source changed, update Board/qemu-x86_64/gpio-sim-no-irq.py", file=sys.stderr)
            return 1
        text = text.replace(old, new)
    for symbol in ("devm_irq_domain_create_sim(", "irq_create_mapping(chip", "irq_find_mapping(chip"):
        if symbol in text:
            print(f"gpio-sim-no-irq: {path}: {symbol} is still used", file=sys.stderr)
            return 1
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
