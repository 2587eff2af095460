/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * An embedded SE speaking GlobalPlatform T=1 on QEMU's second UART (COM2,
 * ttyS1): the same declaration as secel-uart.asl with protocol "gp-t1",
 * the line at 115200 bit/s, 8 data bits, no parity, and no reset line
 * (S(SWR) resets the SE).  tools/testing/uart/run-guest --gp uses it.
 */
DefinitionBlock ("", "SSDT", 2, "SECEL", "SECLUAGP", 1)
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
                UartSerialBusV2 (115200, DataBitsEight, StopBitsOne,
                    0x00, LittleEndian, ParityTypeNone, FlowControlNone,
                    0x0020, 0x0020, "\\_SB.PCI0.S08.COM2",
                    0x00, ResourceConsumer, , Exclusive, )
            })
            Name (_DSD, Package ()
            {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package ()
                {
                    Package () { "protocol", "gp-t1" },
                    Package () { "max-speed", 115200 },
                    /* S(RELEASE) after 3 s without an APDU */
                    Package () { "secel,idle-release-ms", 3000 },
                    Package () { "secel,name-prefix", "eSE" },
                }
            })
        }
    }
}
