#ifndef SMTPEXPLAIN_CLIBXML2_SHIM_H
#define SMTPEXPLAIN_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
/* Debian builds libxml2 with ICU, and its encoding.h would then include the system's <unicode/*.h>,
   which clash with the ICU copy Foundation bundles (_FoundationICU) in any module importing both.
   Only the layout of xmlCharEncodingHandler depends on this, and we never touch its fields. */
#undef LIBXML_ICU_ENABLED
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#endif
