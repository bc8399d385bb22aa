"""Channels besides email: WeCom (企业微信) and DingTalk (钉钉) group robots of a department."""
