#ifndef SMTPEXPLAIN_CPCAP_SHIM_H
#define SMTPEXPLAIN_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
