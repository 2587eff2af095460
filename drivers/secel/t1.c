// SPDX-License-Identifier: GPL-2.0
/*
 * secel - the T=1 block engine of ISO/IEC 7816-3 clause 11 and of
 * GlobalPlatform's T=1 over SPI/I2C (first cut: the interface only).
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/secel.h>

/**
 * secel_t1_config_from_atr() - T=1 parameters from an ATR
 * @p: what secel_atr_params() read
 * @clock_khz: the card's clock in kHz, 0 when unknown
 * @cfg: the configuration to fill
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_config_from_atr(const struct secel_atr_params *p,
			     unsigned int clock_khz,
			     struct secel_t1_config *cfg)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_config_from_atr);

/**
 * secel_t1_cip_parse() - read a GP CIP
 * @buf: the CIP
 * @len: its length
 * @cip: the parsed CIP
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_cip_parse(const u8 *buf, size_t len, struct secel_t1_cip *cip)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_cip_parse);

/**
 * secel_t1_config_from_cip() - T=1 parameters from a GP CIP
 * @cip: the CIP
 * @cfg: the configuration to fill
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_config_from_cip(const struct secel_t1_cip *cip,
			     struct secel_t1_config *cfg)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_config_from_cip);

/**
 * secel_t1_init() - start a T=1 link
 * @t1: the link
 * @cfg: its parameters
 * @ops: the converter's byte mover
 * @ctx: its argument
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_init(struct secel_t1 *t1, const struct secel_t1_config *cfg,
		  const struct secel_t1_ops *ops, void *ctx)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_init);

/**
 * secel_t1_destroy() - free a T=1 link's buffers
 * @t1: the link
 */
void secel_t1_destroy(struct secel_t1 *t1)
{
}
EXPORT_SYMBOL_GPL(secel_t1_destroy);

/**
 * secel_t1_transceive() - carry an APDU over T=1
 * @t1: the link
 * @cmd: the command APDU
 * @len: its length
 * @rsp: where the response goes
 * @size: room in @rsp
 * @rsp_len: the response's length
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_transceive(struct secel_t1 *t1, const u8 *cmd, size_t len,
			u8 *rsp, size_t size, size_t *rsp_len)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_transceive);

/**
 * secel_t1_set_ifsd() - announce the interface device's IFS with S(IFS)
 * @t1: the link
 * @ifsd: the new IFSD
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_set_ifsd(struct secel_t1 *t1, u16 ifsd)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_set_ifsd);

/**
 * secel_t1_resync() - S(RESYNCH)
 * @t1: the link
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_resync(struct secel_t1 *t1)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_resync);

/**
 * secel_t1_gp_reset() - GP S(SWR)
 * @t1: the link
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_gp_reset(struct secel_t1 *t1)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_gp_reset);

/**
 * secel_t1_gp_cip() - GP S(CIP)
 * @t1: the link
 * @cip: where the CIP goes
 * @size: room in @cip
 * @cip_len: its length
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_gp_cip(struct secel_t1 *t1, u8 *cip, size_t size,
		    size_t *cip_len)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_gp_cip);

/**
 * secel_t1_gp_release() - GP S(RELEASE)
 * @t1: the link
 *
 * Return: 0 or a negative errno.
 */
int secel_t1_gp_release(struct secel_t1 *t1)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(secel_t1_gp_release);
