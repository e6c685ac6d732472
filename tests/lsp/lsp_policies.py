"""Policy texts shared by the language-server tests (line numbers are 0-based, as in LSP)."""

COMMON = '''policy "common"

@doc("Asking for a review.")
pattern review_ask = /\\bleave a review\\b/i

list gifts = ["gift card", "free sample"]

category promo {
  reasons coupon, sale
}

@doc("No review requests.")
@source("the shop's guide")
rule no-review error {
  message "no review requests"
  forbid text matches review_ask
}
'''

SHOP = '''policy "shop"
include "common.bsm"

rule no-gifts warning {
  message "no gifts"
  when text matches review_ask and category != promo
  forbid text contains gifts
}

override no-review {
  severity warning
}
'''
