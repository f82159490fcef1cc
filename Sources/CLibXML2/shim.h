#ifndef SMTPEXPLAIN_CLIBXML2_SHIM_H
#define SMTPEXPLAIN_CLIBXML2_SHIM_H
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#endif
