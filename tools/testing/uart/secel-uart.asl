/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * A card on QEMU's second UART (COM2, ttyS1), declared the way a board's
 * firmware declares a device on a UART: an ACPI device with a
 * UartSerialBusV2 resource naming the UART, and its properties in _DSD.
 * "SECL0001" is a project-local ID (secel has no registered ACPI vendor
 * ID); secel_uart matches it.  The guest kernel takes this table from the
 * initramfs (CONFIG_ACPI_TABLE_UPGRADE): tools/testing/uart/build-ssdt.
 *
 * \_SB.PCI0.S08.COM2 is where QEMU 7.2's pc machine puts isa-serial
 * index 1 (its DSDT, seen with acpidump in the guest).
 */
DefinitionBlock ("", "SSDT", 2, "SECEL", "SECLUART", 1)
{
    External (\_SB.PCI0.S08.COM2, DeviceObj)

    Scope (\_SB.PCI0.S08.COM2)
    {
        Device (SE0)
        {
            Name (_HID, "SECL0001")
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                UartSerialBusV2 (9600, DataBitsEight, StopBitsTwo,
                    0x00, LittleEndian, ParityTypeEven, FlowControlNone,
                    0x0020, 0x0020, "\\_SB.PCI0.S08.COM2",
                    0x00, ResourceConsumer, , Exclusive, )
            })
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "protocol", "iso7816" },
                    Package () { "clock-frequency", 3571200 },
                    Package () { "max-speed", 115200 },
                    Package () { "secel,reset-line", "rts" },
                    /* long enough for the emulator to see the pulse */
                    Package () { "secel,reset-hold-ms", 200 },
                    Package () { "secel,name-prefix", "SIM" },
                }
            })
        }
    }
}
